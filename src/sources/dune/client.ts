import type { z } from 'zod';
import type { Config } from '../../config.ts';
import { EtlError } from '../../internal/errors.ts';
import type { Logger } from '../../internal/logger.ts';
import { describeIssues } from '../../internal/zodIssues.ts';
import { createHttpClient, type HttpClient } from '../http/httpClient.ts';
import { duneHttpError } from './duneErrors.ts';
import {
  executeResponseSchema,
  type QueryObject,
  type QueryParameter,
  queryIdResponseSchema,
  queryObjectSchema,
  type ResultsResponse,
  resultsResponseSchema,
  type StatusResponse,
  statusResponseSchema,
} from './schemas.ts';

/** One page of a result: rows `offset` … `offset + limit - 1`. */
export interface PageRequest {
  offset: number;
  limit: number;
}

/** A saved query as the query-management API creates or updates it. */
export interface QueryDefinition {
  name: string;
  sql: string;
  description?: string;
  parameters: QueryParameter[];
  isPrivate?: boolean;
}

/** The Dune API v1 calls this product makes; every method throws an `EtlError` that says what to do. */
export interface DuneClient {
  /** POST /query/{id}/execute with `{query_parameters}`: starts a run (costs credits). */
  execute(queryId: number, params: Record<string, string>, signal?: AbortSignal): Promise<{ executionId: string }>;
  /** GET /execution/{id}/status (free). */
  status(executionId: string, signal?: AbortSignal): Promise<StatusResponse>;
  /** POST /execution/{id}/cancel. */
  cancel(executionId: string): Promise<void>;
  /** GET /execution/{id}/results?offset&limit. */
  executionResults(executionId: string, page: PageRequest, signal?: AbortSignal): Promise<ResultsResponse>;
  /** GET /query/{id}/results?offset&limit&params.x: the latest existing result, no new run. */
  latestResults(
    queryId: number,
    params: Record<string, string>,
    page: PageRequest,
    signal?: AbortSignal,
  ): Promise<ResultsResponse>;
  /** Follows a page's `next_uri`; undefined when it points outside `DUNE_API_URL` (the caller uses `next_offset`). */
  follow(nextUri: string, signal?: AbortSignal): Promise<ResultsResponse> | undefined;
  createQuery(query: QueryDefinition): Promise<number>;
  updateQuery(queryId: number, query: QueryDefinition): Promise<number>;
  getQuery(queryId: number): Promise<QueryObject>;
}

export interface DuneClientOptions {
  config: Pick<Config, 'dune' | 'http'>;
  log: Logger;
  onResponse?: (upstream: string, status: number) => void;
  /** Base of the retry backoff; tests shorten it. */
  backoffBaseMs?: number;
}

// 4xx answers we explain ourselves (duneErrors.ts); 429 and 5xx stay with the HTTP client's retries.
const EXPLAINED = [400, 401, 402, 403, 404, 409] as const;

/**
 * A thin typed client of Dune API v1 on the shared HTTP client (the official SDK cannot change its base URL and
 * does not retry). Sends the key as `x-dune-api-key`; 429s wait `Retry-After` and retry.
 */
export function createDuneClient({ config, log, onResponse, backoffBaseMs }: DuneClientOptions): DuneClient {
  const { apiUrl, apiKey } = config.dune;
  if (!apiKey) {
    throw new EtlError(
      'ETL_CONFIG_INVALID',
      'Invalid configuration:\n  DUNE_API_KEY: required to call Dune (create one at dune.com → Settings → API keys)',
    );
  }
  const http: HttpClient = createHttpClient({
    name: 'Dune',
    baseUrl: apiUrl,
    urlSetting: 'DUNE_API_URL',
    headers: { 'x-dune-api-key': apiKey },
    timeoutMs: config.http.timeoutMs,
    maxRetries: config.http.maxRetries,
    backoffBaseMs,
    secrets: [apiKey],
    log,
    onResponse,
  });
  const base = new URL(apiUrl.replace(/\/?$/, '/'));

  async function call<T>(
    action: string,
    path: string,
    schema: z.ZodType<T>,
    options: {
      method?: 'GET' | 'POST' | 'PATCH';
      body?: unknown;
      query?: Record<string, string | number>;
      signal?: AbortSignal;
    } = {},
  ): Promise<T> {
    const response = await http.request<unknown>(path, { ...options, passStatuses: EXPLAINED });
    if (response.status >= 400) throw duneHttpError(response.status, response.body, action);
    const parsed = schema.safeParse(response.body);
    if (!parsed.success) {
      throw new EtlError(
        'ETL_UPSTREAM_MALFORMED',
        `Malformed answer from Dune to ${action}: ${describeIssues(parsed.error)}`,
      );
    }
    return parsed.data;
  }

  const paramQuery = (params: Record<string, string>) =>
    Object.fromEntries(Object.entries(params).map(([k, v]) => [`params.${k}`, v]));
  const queryBody = (q: QueryDefinition) => ({
    name: q.name,
    description: q.description,
    query_sql: q.sql,
    parameters: q.parameters,
    is_private: q.isPrivate ?? true,
  });

  return {
    async execute(queryId, params, signal) {
      const body = await call(`execute query ${queryId}`, `/query/${queryId}/execute`, executeResponseSchema, {
        method: 'POST',
        body: { query_parameters: params },
        signal,
      });
      return { executionId: body.execution_id };
    },
    status: (executionId, signal) =>
      call(`read the status of execution ${executionId}`, `/execution/${executionId}/status`, statusResponseSchema, {
        signal,
      }),
    async cancel(executionId) {
      await http.request(`/execution/${executionId}/cancel`, { method: 'POST', passStatuses: EXPLAINED });
    },
    executionResults: (executionId, page, signal) =>
      call(`read the results of execution ${executionId}`, `/execution/${executionId}/results`, resultsResponseSchema, {
        query: { offset: page.offset, limit: page.limit },
        signal,
      }),
    latestResults: (queryId, params, page, signal) =>
      call(`read the latest results of query ${queryId}`, `/query/${queryId}/results`, resultsResponseSchema, {
        query: { offset: page.offset, limit: page.limit, ...paramQuery(params) },
        signal,
      }),
    follow(nextUri, signal) {
      const next = new URL(nextUri, base);
      // NOTE: the key travels with every request: never follow a next_uri off the configured host.
      if (next.origin !== base.origin || !next.pathname.startsWith(base.pathname)) return undefined;
      const path = `/${next.pathname.slice(base.pathname.length)}${next.search}`;
      return call('read the next result page', path, resultsResponseSchema, { signal });
    },
    async createQuery(query) {
      const body = await call(`create query "${query.name}"`, '/query', queryIdResponseSchema, {
        method: 'POST',
        body: queryBody(query),
      });
      return body.query_id;
    },
    async updateQuery(queryId, query) {
      const body = await call(`update query ${queryId}`, `/query/${queryId}`, queryIdResponseSchema, {
        method: 'PATCH',
        body: queryBody(query),
      });
      return body.query_id;
    },
    getQuery: (queryId) => call(`read query ${queryId}`, `/query/${queryId}`, queryObjectSchema),
  };
}
