/** One Parquet file of the lake: a partition of a table. */
export interface ManifestFile {
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface ManifestTable {
  /** Column names and their DuckDB/Parquet types, in file order. */
  columns: { name: string; type: string }[];
  /** The source's last `loaded_at` (UTC, microseconds) covered by the files, or null before the first pass ends. */
  watermark: string | null;
  /** By hive path (`chain_id=1/block_range=0-99999`, `date=2024-01-01`). */
  partitions: Record<string, ManifestFile>;
}

/** `_manifest.json` at the lake's root: every file with its row count and SHA-256, by table. */
export interface Manifest {
  version: 1;
  format: 'parquet';
  compression: 'zstd';
  tables: Record<string, ManifestTable>;
}

export const MANIFEST_PATH = '_manifest.json';

export function emptyManifest(): Manifest {
  return { version: 1, format: 'parquet', compression: 'zstd', tables: {} };
}

export function parseManifest(text: string | undefined): Manifest {
  if (!text) return emptyManifest();
  const parsed = JSON.parse(text) as Manifest;
  return parsed.version === 1 ? parsed : emptyManifest();
}

/** Keys sorted at every level, so the same lake always gives the same bytes. */
export function serializeManifest(manifest: Manifest): string {
  const sorted = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sorted);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  };
  return `${JSON.stringify(sorted(manifest), null, 2)}\n`;
}

/** Rows of a table across its files. */
export const manifestRows = (table: ManifestTable | undefined) =>
  Object.values(table?.partitions ?? {}).reduce((n, f) => n + f.rows, 0);
