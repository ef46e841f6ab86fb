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

/** Compares a batch with the contract, field by field; an empty batch shows nothing. */
export function inspectBatch(contract: StreamContract, records: readonly unknown[]): InspectedBatch {
  const objects = records.filter(isRecord);
  const known = (field: string) =>
    contract.required.has(field) || contract.optional.has(field) || contract.ignored.has(field);
  const present = new Map<string, number>();
  const added = new Map<string, unknown>();
  for (const record of objects) {
    for (const [field, value] of Object.entries(record)) {
      if (value === undefined) continue;
      present.set(field, (present.get(field) ?? 0) + 1);
      if (!known(field) && !added.has(field)) added.set(field, value);
    }
  }
  const everywhereAbsent = (field: string) => objects.length > 0 && !present.get(field);
  const requiredMissing = [...contract.required].filter(everywhereAbsent);
  const changes: SchemaChange[] = [
    ...[...contract.optional]
      .filter(everywhereAbsent)
      .map((field) => ({ field, kind: 'missing' as const, sample: objects[0] })),
    ...[...added].map(([field, sample]) => ({ field, kind: 'added' as const, sample })),
  ];
  const out: unknown[] = [];
  const incomplete: InspectedBatch['incomplete'] = [];
  for (const record of records) {
    if (!isRecord(record)) {
      out.push(record);
      continue;
    }
    const lacking = [...contract.required].filter((field) => record[field] === undefined);
    if (lacking.length > 0 && requiredMissing.length === 0) {
      incomplete.push({ record, fields: lacking });
      continue;
    }
    let filled: Record<string, unknown> | undefined;
    for (const field of contract.optional) {
      if (record[field] !== undefined) continue;
      filled ??= { ...record };
      filled[field] = null;
    }
    out.push(filled ?? record);
  }
  return { records: out, incomplete, requiredMissing, changes };
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
