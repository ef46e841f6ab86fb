import type { Command } from 'commander';
import { queryLake } from '../../lake/queryLake.ts';
import { bootstrap, fail } from '../bootstrap.ts';
import { COMMAND_LIST } from '../commandList.ts';

const text = (value: unknown) =>
  value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);

export function registerLake(program: Command): void {
  const lake = program.command(COMMAND_LIST.lake.usage).description(COMMAND_LIST.lake.summary);
  lake
    .command('query <sql>')
    .description('Run DuckDB SQL over the lake: each table is a view (SELECT count(*) FROM evm_logs)')
    .option('--lake <location>', 'the lake folder (default LAKE_URL, else <DATA_DIR>/lake)')
    .option('--json', 'one JSON object per row instead of a table')
    .action(async (sql: string, opts: { lake?: string; json?: boolean }) => {
      const { config } = bootstrap();
      try {
        const { columns, rows } = await queryLake(opts.lake ?? config.lake.url, sql);
        if (opts.json) {
          for (const row of rows) {
            process.stdout.write(
              `${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, row[i]])), (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
            );
          }
          return;
        }
        const cells = [columns, ...rows.map((r) => r.map(text))];
        const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
        for (const r of cells) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}\n`);
        process.stdout.write(`(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
      } catch (error) {
        fail(error);
      }
    });
}
