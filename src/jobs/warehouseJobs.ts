import { ROLLUPS, refreshRollups } from '../transforms/refreshRollups.ts';
import type { CatalogueDeps } from './catalogue.ts';
import { defineJob } from './defineJob.ts';
import { runSteps } from './steps.ts';

/** Refreshes every rollup for the window its sources changed in. Source jobs also call it after loading. */
export const refreshWarehouseStep = {
  name: 'warehouse.refresh',
  run: async ({ db }: { db: import('../db/types.ts').Db }) => {
    await refreshRollups(db, ROLLUPS);
    return undefined;
  },
};

/** Refreshes the rollups of one staging table, right after the job that loads it. */
export function refreshRollupsOfStep(source: string) {
  return {
    name: `warehouse.refresh.${source}`,
    run: async ({ db }: { db: import('../db/types.ts').Db }) => {
      await refreshRollups(
        db,
        ROLLUPS.filter((r) => r.source === source),
      );
      return undefined;
    },
  };
}

export function warehouseJobs(_deps: CatalogueDeps) {
  return [
    defineJob({
      name: 'warehouse-refresh',
      description: 'Refresh the hourly and daily rollups for what changed since the last refresh',
      schedule: '15 * * * *',
      timeoutMs: 30 * 60_000,
      retries: 2,
      run: (ctx) => runSteps('warehouse-refresh', ctx, [refreshWarehouseStep]),
    }),
  ];
}
