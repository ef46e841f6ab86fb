import { z } from 'zod';

/** Execution states of Dune API v1; the docs' prose spells CANCELED with one L, the SDKs with two: both are accepted. */
export const EXECUTION_STATES = [
  'QUERY_STATE_PENDING',
  'QUERY_STATE_EXECUTING',
  'QUERY_STATE_COMPLETED',
  'QUERY_STATE_COMPLETED_PARTIAL',
  'QUERY_STATE_FAILED',
  'QUERY_STATE_CANCELLED',
  'QUERY_STATE_CANCELED',
  'QUERY_STATE_EXPIRED',
] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];

const executionError = z
  .object({
    type: z.string().optional(),
    message: z.string().optional(),
    metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .loose();
export type ExecutionError = z.infer<typeof executionError>;

/** `result.metadata` / `result_metadata`: every field may be missing (the samples show it). */
export const resultMetadataSchema = z
  .object({
    column_names: z.array(z.string()).optional(),
    column_types: z.array(z.string()).optional(),
    row_count: z.number().optional(),
    total_row_count: z.number().optional(),
    result_set_bytes: z.number().optional(),
    total_result_set_bytes: z.number().optional(),
    datapoint_count: z.number().optional(),
    pending_time_millis: z.number().optional(),
    execution_time_millis: z.number().optional(),
  })
  .loose();
export type ResultMetadata = z.infer<typeof resultMetadataSchema>;

/** POST /query/{id}/execute */
export const executeResponseSchema = z.object({ execution_id: z.string().min(1), state: z.string() }).loose();

const statusFields = {
  execution_id: z.string(),
  query_id: z.number().optional(),
  state: z.enum(EXECUTION_STATES),
  is_execution_finished: z.boolean().optional(),
  submitted_at: z.string().optional(),
  execution_started_at: z.string().nullable().optional(),
  execution_ended_at: z.string().nullable().optional(),
  expires_at: z.string().nullable().optional(),
  cancelled_at: z.string().nullable().optional(),
  queue_position: z.number().nullable().optional(),
  error: executionError.nullable().optional(),
};

/** GET /execution/{id}/status */
export const statusResponseSchema = z
  .object({ ...statusFields, result_metadata: resultMetadataSchema.nullable().optional() })
  .loose();
export type StatusResponse = z.infer<typeof statusResponseSchema>;

/** GET /execution/{id}/results and GET /query/{id}/results: `result` only once completed; `next_*` absent on the last page. */
export const resultsResponseSchema = z
  .object({
    ...statusFields,
    next_offset: z.number().nullable().optional(),
    next_uri: z.string().nullable().optional(),
    result: z
      .object({
        rows: z.array(z.record(z.string(), z.unknown())),
        metadata: resultMetadataSchema.optional(),
      })
      .loose()
      .nullable()
      .optional(),
  })
  .loose();
export type ResultsResponse = z.infer<typeof resultsResponseSchema>;

/** A query parameter as the query-management API takes it (the execute call takes a plain name → value map). */
export const queryParameterSchema = z.object({ key: z.string(), type: z.string(), value: z.string() }).loose();
export type QueryParameter = z.infer<typeof queryParameterSchema>;

/** POST /query and PATCH /query/{id} */
export const queryIdResponseSchema = z.object({ query_id: z.number().int().positive() }).loose();

/** GET /query/{id} */
export const queryObjectSchema = z
  .object({
    query_id: z.number(),
    name: z.string().optional(),
    query_sql: z.string().optional(),
    parameters: z.array(queryParameterSchema).optional(),
  })
  .loose();
export type QueryObject = z.infer<typeof queryObjectSchema>;

/** Dune's error envelope, `{"error": "invalid API Key"}`. */
export const errorBodySchema = z.object({ error: z.union([z.string(), executionError]) }).loose();
