import type { Command } from 'commander';
import { createDatabase } from '../../db/createDatabase.ts';
import { migrate } from '../../db/migrate.ts';
import { abandonStaleRuns } from '../../pipeline/runLog.ts';
import { readStatus, runOutcome } from '../../pipeline/status.ts';
import { bootstrap, fail } from '../bootstrap.ts';
import { COMMAND_LIST } from '../commandList.ts';
import { jobsReport } from '../jobsReport.ts';
import { OUTCOME_MARK } from '../outcomeMark.ts';

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString().replace('.000Z', 'Z') : '—');

export function registerStatus(program: Command): void {
  program
    .command(COMMAND_LIST.status.usage)
    .description(COMMAND_LIST.status.summary)
    .option('-n, --limit <n>', 'how many recent runs to show', '15')
    .option('-r, --runs <n>', 'how many runs to show under each job', '3')
    .action(async (opts: { limit: string; runs: string }) => {
      const { config, log } = bootstrap();
      try {
        const db = await createDatabase(config, log);
        // A database nothing has run on yet gets its tables, so status answers "no runs yet" instead of failing.
        await migrate(db, { log });
        // A run whose process died shows as abandoned, not running.
        await abandonStaleRuns(db, db.schemas, config.runHeartbeatMs * 2);
        const status = await readStatus(db);
        const out: string[] = [];
        if (status.sandbox) out.push('⚠ SANDBOX: this database holds SYNTHETIC data from the built-in emulators.\n');
        out.push(...(await jobsReport({ config, log, db, runsPerJob: Number(opts.runs) })));
        out.push('', 'Last runs');
        for (const r of status.runs.slice(0, Number(opts.limit))) {
          const secs = r.finished_at
            ? ((new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()) / 1000).toFixed(1)
            : '…';
          out.push(
            `  #${r.id} ${iso(r.started_at)} ${r.job}/${r.stream ?? '-'} ${OUTCOME_MARK[runOutcome(r.status, r.rows_rejected)]} ${runOutcome(r.status, r.rows_rejected)} ${secs}s rows ${r.rows_loaded}/${r.rows_extracted} rejected ${r.rows_rejected}${r.error ? `\n      ${r.error}` : ''}`,
          );
        }
        if (status.runs.length === 0) out.push('  none yet: run `crypto-etl run coingecko-markets` or `npm start`');
        out.push('', 'Watermarks');
        for (const w of status.watermarks)
          out.push(`  ${w.stream.padEnd(22)} ${iso(w.updated_at)} ${JSON.stringify(w.cursor).slice(0, 100)}`);
        if (status.watermarks.length === 0) out.push('  none yet');
        process.stdout.write(`${out.join('\n')}\n`);
        await db.close();
      } catch (error) {
        fail(error);
      }
    });
}
