import { coincapAssets } from '../../tables/coincap.ts';
import { tableWrite } from '../../tables/defineTable.ts';
import { defineStream } from '../stream.ts';
import type { CoinCapClient } from './client.ts';
import { extractPages, MAX_LIMIT } from './paginate.ts';
import { assetRecord } from './schemas.ts';

/**
 * `/assets`, page by page → `staging.coincap_assets`, one row per asset (its latest figures, stamped with the
 * answer's `timestamp`): a dimension, upserted by id.
 */
export function assetsStream(client: CoinCapClient, options: { perPage?: number } = {}) {
  const perPage = options.perPage ?? MAX_LIMIT;
  return defineStream({
    name: 'coincap.assets',
    ...tableWrite(coincapAssets),
    onConflict: 'update',
    record: assetRecord,
    // Nullable for thinly traded assets, but never absent: a page without them is a renamed field.
    contract: { required: ['priceUsd', 'marketCapUsd', 'volumeUsd24Hr', 'supply'] },
    extract: extractPages((limit, offset, signal) => client.assets(limit, offset, signal), perPage, '/assets', ['id']),
  });
}
