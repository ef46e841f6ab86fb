import { EtlError } from '../../internal/errors.ts';

/** Which logs to keep; `null` keeps them all. */
export type LogFilter = ((log: { address: string; topics: readonly string[] }) => boolean) | null;

/**
 * `EVM_LOG_ADDRESSES` (emitting contracts) and `EVM_LOG_TOPICS` (event signatures, i.e. topic0), each an OR
 * list, both required when both are set — the meaning of `eth_getLogs`' `address` and `topics[0]`. Logs arrive
 * with the receipts, so the filter runs here rather than as a second `eth_getLogs` round trip per range.
 * @throws EtlError `ETL_CONFIG_INVALID` naming the variable and the malformed value.
 */
export function createLogFilter(addresses: readonly string[], topics: readonly string[]): LogFilter {
  const check = (variable: string, values: readonly string[], pattern: RegExp, expected: string) => {
    const bad = values.find((v) => !pattern.test(v));
    if (bad !== undefined) {
      throw new EtlError(
        'ETL_CONFIG_INVALID',
        `Invalid configuration:\n  ${variable} (got "${bad}"): expected ${expected}`,
      );
    }
    return new Set(values.map((v) => v.toLowerCase()));
  };
  const wantAddresses = check('EVM_LOG_ADDRESSES', addresses, /^0x[0-9a-fA-F]{40}$/, 'comma-separated 0x addresses');
  const wantTopics = check('EVM_LOG_TOPICS', topics, /^0x[0-9a-fA-F]{64}$/, 'comma-separated 32-byte 0x topics');
  if (wantAddresses.size === 0 && wantTopics.size === 0) return null;
  return (log) =>
    (wantAddresses.size === 0 || wantAddresses.has(log.address.toLowerCase())) &&
    (wantTopics.size === 0 || (log.topics[0] !== undefined && wantTopics.has(log.topics[0].toLowerCase())));
}
