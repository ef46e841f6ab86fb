import { z } from 'zod';
import type { ContractOptions } from '../sources/stream.ts';

/**
 * What a stream promises about the records its upstream sends, derived from its record schema: a field whose
 * schema accepts null may be absent (read liberally: absent and null are the same), any other is required.
 * A stream may name nullable fields that are still required to be present (a rename looks like an absence).
 */
export interface StreamContract {
  required: ReadonlySet<string>;
  optional: ReadonlySet<string>;
  /** Upstream fields the stream knows and does not store: their presence is not drift. */
  ignored: ReadonlySet<string>;
}

export type SchemaChangeKind = 'missing' | 'added' | 'type_changed';

/** One difference between what a stream declares and what its upstream sent in a batch. */
export interface SchemaChange {
  field: string;
  kind: SchemaChangeKind;
  /** A value (added, type_changed) or a record (missing) that shows it. */
  sample: unknown;
}

/** The object shape under a record schema (through `.transform` pipes), or undefined when it has none. */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let node: unknown = schema;
  for (let depth = 0; depth < 5 && node; depth++) {
    if (node instanceof z.ZodObject) return node.shape as Record<string, z.ZodType>;
    if (node instanceof z.ZodPipe) node = node.in;
    else return undefined;
  }
  return undefined;
}

/** The contract of a record schema; undefined for schemas that are not objects (any-query rows). */
export function contractOf(record: z.ZodType, options: ContractOptions = {}): StreamContract | undefined {
  const shape = objectShape(record);
  if (!shape) return undefined;
  const forced = new Set(options.required ?? []);
  const required = new Set<string>();
  const optional = new Set<string>();
  for (const [field, schema] of Object.entries(shape)) {
    const nullable = schema.safeParse(null).success || schema.safeParse(undefined).success;
    (nullable && !forced.has(field) ? optional : required).add(field);
  }
  return { required, optional, ignored: new Set(options.ignored ?? []) };
}

export interface InspectedBatch {
  /** The records with every absent optional field set to null; records missing a required field are left out. */
  records: unknown[];
  /** Records missing a required field that others in the batch carry. */
  incomplete: { record: unknown; fields: string[] }[];
  /** Required fields absent from every record of the batch: the run must fail. */
  requiredMissing: string[];
  /** Optional fields absent from every record, and fields the contract does not know. */
  changes: SchemaChange[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Compares a batch with the contract, field by field; an empty batch shows nothing. One pass over the records, no
 * allocation for a record that matches the contract: it runs on every record the product loads.
 */
export function inspectBatch(contract: StreamContract, records: readonly unknown[]): InspectedBatch {
  const required = [...contract.required];
  const optional = [...contract.optional];
  const requiredSeen = new Array<number>(required.length).fill(0);
  const optionalSeen = new Array<number>(optional.length).fill(0);
  const added = new Map<string, unknown>();
  const out: unknown[] = [];
  const lacking: { record: Record<string, unknown>; fields: string[] }[] = [];
  let objects = 0;
  let first: unknown;
  for (const record of records) {
    if (!isRecord(record)) {
      out.push(record);
      continue;
    }
    if (objects++ === 0) first = record;
    for (const field in record) {
      if (added.has(field) || record[field] === undefined) continue;
      if (!contract.required.has(field) && !contract.optional.has(field) && !contract.ignored.has(field)) {
        added.set(field, record[field]);
      }
    }
    let missing: string[] | undefined;
    for (let i = 0; i < required.length; i++) {
      const field = required[i] as string;
      if (record[field] !== undefined) {
        requiredSeen[i] = (requiredSeen[i] as number) + 1;
      } else {
        missing ??= [];
        missing.push(field);
      }
    }
    let filled: Record<string, unknown> | undefined;
    for (let i = 0; i < optional.length; i++) {
      const field = optional[i] as string;
      if (record[field] !== undefined) {
        optionalSeen[i] = (optionalSeen[i] as number) + 1;
        continue;
      }
      filled ??= { ...record };
      filled[field] = null;
    }
    if (missing) lacking.push({ record, fields: missing });
    else out.push(filled ?? record);
  }
  const requiredMissing = objects === 0 ? [] : required.filter((_, i) => requiredSeen[i] === 0);
  const changes: SchemaChange[] = [
    ...(objects === 0 ? [] : optional.filter((_, i) => optionalSeen[i] === 0)).map((field) => ({
      field,
      kind: 'missing' as const,
      sample: first,
    })),
    ...[...added].map(([field, sample]) => ({ field, kind: 'added' as const, sample })),
  ];
  // A required field absent everywhere fails the run whole; absent here and there, it rejects those records.
  return { records: out, incomplete: requiredMissing.length > 0 ? [] : lacking, requiredMissing, changes };
}

/**
 * Fields on which every record that carries a value failed its schema: the upstream changed the field's
 * type (a number now sent as text, say), not one bad record.
 */
export function typeChanges(
  records: readonly unknown[],
  rejectedFields: readonly { record: unknown; fields: readonly string[] }[],
): SchemaChange[] {
  if (rejectedFields.length === 0) return [];
  const failedOn = new Map<string, { count: number; sample: unknown }>();
  for (const { record, fields } of rejectedFields) {
    for (const field of new Set(fields)) {
      const entry = failedOn.get(field) ?? { count: 0, sample: isRecord(record) ? record[field] : undefined };
      entry.count++;
      failedOn.set(field, entry);
    }
  }
  const changes: SchemaChange[] = [];
  for (const [field, { count, sample }] of failedOn) {
    const carried = records.filter((r) => isRecord(r) && r[field] !== undefined && r[field] !== null).length;
    if (carried > 1 && count >= carried) changes.push({ field, kind: 'type_changed', sample });
  }
  return changes;
}
