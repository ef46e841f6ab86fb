import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the metrics need of a finished run (the runner's result has these fields and more). */
export interface FinishedRun {
  job: string;
  stream: string;
  status: string;
  rowsLoaded: number;
  rowsRejected: number;
  durationMs: number;
}

/** The runner's hooks as the metrics implement them (they fit `createRunner({ hooks })`). */
export interface MetricsRunnerHooks {
  runFinished(result: FinishedRun): void;
  schemaChanged(stream: string, change: { field: string; kind: string }): void;
}

/** Counts read at scrape time from a source every process shares (the database, the queue). */
export interface MetricsSources {
  /** Jobs in the queue by state (`waiting`, `active`, `delayed`, `failed`…), when jobs run on BullMQ. */
  queueDepth?: () => Promise<Record<string, number>>;
  /** Rows of `etl.runs` by job and status: the runs of every process (workers included), not only this one. */
  runsRecorded?: () => Promise<{ job: string; status: string; runs: number }[]>;
  /** Per stream: seconds since its last checkpoint, and the rejected share of its latest finished run. */
  streams?: () => Promise<{ stream: string; freshnessSeconds: number; rejectedShare: number | null }[]>;
  /** Per EVM chain: blocks between the node's head and the last block stored, as of the last checkpoint. */
  chainLag?: () => Promise<{ chainId: string; blocks: number }[]>;
}

/** The Prometheus metrics of one process, in its own registry (tests build as many as they like). */
export interface Metrics {
  registry: Registry;
  /** Pass to `createRunner({ hooks })`: counts runs, rows and durations as each stream run ends. */
  runnerHooks: MetricsRunnerHooks;
  /** Pass as `onResponse` to HTTP clients: one count per upstream answer (status 0 = no answer). */
  upstreamResponse(upstream: string, status: number): void;
  /** Adds gauges read at scrape time; a source that fails leaves its gauge empty for that scrape. */
  observe(sources: MetricsSources): void;
}

export interface CreateMetricsOptions {
  /** Also collect Node's process metrics (CPU, memory, event loop lag); default true. */
  processMetrics?: boolean;
}

const PREFIX = 'crypto_etl_';

/** Creates a registry with the pipeline's metrics (names and labels listed in docs/api.md). */
export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: PREFIX });
    // Gauges named like counters (promtool refuses them); each is the sum of a by-type gauge that stays.
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
      registry.removeSingleMetric(`${PREFIX}nodejs_${name}`);
    }
  }
  const registers = [registry];

  const runs = new Counter({
    name: `${PREFIX}runs_total`,
    help: 'Stream runs finished in this process, by job, stream and status',
    labelNames: ['job', 'stream', 'status'] as const,
    registers,
  });
  const rowsLoaded = new Counter({
    name: `${PREFIX}rows_loaded_total`,
    help: 'Rows inserted or changed by runs of this process',
    labelNames: ['job', 'stream'] as const,
    registers,
  });
  const rowsRejected = new Counter({
    name: `${PREFIX}rows_rejected_total`,
    help: 'Records that failed validation and went to etl.rejects',
    labelNames: ['job', 'stream'] as const,
    registers,
  });
  const duration = new Histogram({
    name: `${PREFIX}run_duration_seconds`,
    help: 'Duration of stream runs (the steps of a job), by job, stream and status',
    labelNames: ['job', 'stream', 'status'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers,
  });
  const schemaChanges = new Counter({
    name: `${PREFIX}schema_changes_total`,
    help: 'Upstream drift seen by runs of this process (etl.schema_changes), by stream, field and kind',
    labelNames: ['stream', 'field', 'kind'] as const,
    registers,
  });
  const upstream = new Counter({
    name: `${PREFIX}upstream_http_responses_total`,
    help: 'Answers of upstream APIs by upstream and HTTP status (0 = network error or timeout)',
    labelNames: ['upstream', 'status'] as const,
    registers,
  });

  let sources: MetricsSources = {};
  new Gauge({
    name: `${PREFIX}queue_jobs`,
    help: 'Jobs in the BullMQ queue by state (absent with the inline executor)',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.reset();
      const depth = await sources.queueDepth?.().catch(() => undefined);
      for (const [state, n] of Object.entries(depth ?? {})) this.set({ state }, n);
    },
  });
  new Gauge({
    name: `${PREFIX}runs_recorded`,
    help: 'Runs recorded in etl.runs by job and status, across every process',
    labelNames: ['job', 'status'] as const,
    registers,
    async collect() {
      this.reset();
      const rows = await sources.runsRecorded?.().catch(() => undefined);
      for (const row of rows ?? []) this.set({ job: row.job, status: row.status }, row.runs);
    },
  });

  new Gauge({
    name: `${PREFIX}stream_freshness_seconds`,
    help: 'Seconds since each stream last saved a checkpoint (etl.watermarks), read at scrape time',
    labelNames: ['stream'] as const,
    registers,
    async collect() {
      this.reset();
      for (const row of (await sources.streams?.().catch(() => undefined)) ?? []) {
        this.set({ stream: row.stream }, row.freshnessSeconds);
      }
    },
  });
  new Gauge({
    name: `${PREFIX}stream_rejected_share`,
    help: "Share of the records of each stream's latest finished run that went to etl.rejects (0 … 1)",
    labelNames: ['stream'] as const,
    registers,
    async collect() {
      this.reset();
      for (const row of (await sources.streams?.().catch(() => undefined)) ?? []) {
        if (row.rejectedShare !== null) this.set({ stream: row.stream }, row.rejectedShare);
      }
    },
  });
  new Gauge({
    name: `${PREFIX}evm_head_lag_blocks`,
    help: "Blocks between an EVM chain's head and its last stored block, as of the chain's last checkpoint",
    labelNames: ['chain_id'] as const,
    registers,
    async collect() {
      this.reset();
      for (const row of (await sources.chainLag?.().catch(() => undefined)) ?? []) {
        this.set({ chain_id: row.chainId }, row.blocks);
      }
    },
  });

  return {
    registry,
    runnerHooks: {
      runFinished(result: FinishedRun) {
        const labels = { job: result.job, stream: result.stream };
        runs.inc({ ...labels, status: result.status });
        rowsLoaded.inc(labels, result.rowsLoaded);
        rowsRejected.inc(labels, result.rowsRejected);
        duration.observe({ ...labels, status: result.status }, result.durationMs / 1000);
      },
      schemaChanged(stream, change) {
        schemaChanges.inc({ stream, field: change.field, kind: change.kind });
      },
    },
    upstreamResponse(name, status) {
      upstream.inc({ upstream: name, status: String(status) });
    },
    observe(more) {
      sources = { ...sources, ...more };
    },
  };
}
