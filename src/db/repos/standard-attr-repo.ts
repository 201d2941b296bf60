/**
 * Standard attributes shared by every resource: timestamps, revision numbers (bumped on each
 * change, checked against `If-Match`) and tags.
 */
import { RevisionNumberConstraintFailed } from '../../core/errors.js';
import type { Executor, Schema, StandardColumns } from '../schema.js';
import { chunks } from './listing.js';

/** Every table of a standard-attribute resource (service plug-ins add theirs by augmenting Schema). */
export type StdTable = { [K in keyof Schema]: Schema[K] extends StandardColumns & { id: string } ? K : never }[keyof Schema];

/** Neutron's timestamp text: seconds precision, UTC, `Z`. */
export const nowStamp = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export function standardValues(description: string): Pick<Schema['networks'], 'description' | 'revision_number' | 'created_at' | 'updated_at'> {
  const now = nowStamp();
  return { description, revision_number: 0, created_at: now, updated_at: now };
}

/**
 * Bumps the revision and updated_at of one row; with `expected`, first checks it (412 on mismatch).
 * `bump = false` only checks (an update that changes nothing keeps its revision, as in Neutron).
 */
export async function bumpRevision(trx: Executor, table: StdTable, id: string, expected?: number, bump = true): Promise<void> {
  if (expected !== undefined) {
    const row = await (trx as any).selectFrom(table).select('revision_number').where('id', '=', id).executeTakeFirst(); // eslint-disable-line @typescript-eslint/no-explicit-any
    if (row && Number(row.revision_number) !== expected)
      throw new RevisionNumberConstraintFailed({ expected, current: Number(row.revision_number) });
  }
  if (!bump) return;
  await (trx as any) // eslint-disable-line @typescript-eslint/no-explicit-any
    .updateTable(table)
    .set((eb: any) => ({ revision_number: eb('revision_number', '+', 1), updated_at: nowStamp() })) // eslint-disable-line @typescript-eslint/no-explicit-any
    .where('id', '=', id)
    .execute();
}

/** Adds `n` to a row's revision (Neutron bumps some resources several times in one operation). */
export async function bumpRevisionBy(trx: Executor, table: StdTable, id: string, n: number): Promise<void> {
  if (n <= 0) return;
  await (trx as any) // eslint-disable-line @typescript-eslint/no-explicit-any
    .updateTable(table)
    .set((eb: any) => ({ revision_number: eb('revision_number', '+', n), updated_at: nowStamp() })) // eslint-disable-line @typescript-eslint/no-explicit-any
    .where('id', '=', id)
    .execute();
}

export async function tagsOf(trx: Executor, type: string, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const part of chunks(ids)) {
    if (!part.length) continue;
    const rows = await trx
      .selectFrom('tags')
      .select(['resource_id', 'tag'])
      .where('resource_type', '=', type)
      .where('resource_id', 'in', part)
      .orderBy('tag')
      .execute();
    for (const r of rows) out.get(r.resource_id)?.push(r.tag);
  }
  return out;
}

export async function replaceTags(trx: Executor, type: string, id: string, tags: string[]): Promise<void> {
  await trx.deleteFrom('tags').where('resource_type', '=', type).where('resource_id', '=', id).execute();
  const unique = [...new Set(tags)];
  if (unique.length) await trx.insertInto('tags').values(unique.map((tag) => ({ resource_type: type, resource_id: id, tag }))).execute();
}

export async function addTag(trx: Executor, type: string, id: string, tag: string): Promise<boolean> {
  const exists = await trx
    .selectFrom('tags')
    .select('tag')
    .where('resource_type', '=', type)
    .where('resource_id', '=', id)
    .where('tag', '=', tag)
    .executeTakeFirst();
  if (exists) return false;
  await trx.insertInto('tags').values({ resource_type: type, resource_id: id, tag }).execute();
  return true;
}

export async function removeTag(trx: Executor, type: string, id: string, tag: string): Promise<boolean> {
  const res = await trx.deleteFrom('tags').where('resource_type', '=', type).where('resource_id', '=', id).where('tag', '=', tag).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function deleteTagsOf(trx: Executor, type: string, id: string): Promise<void> {
  await trx.deleteFrom('tags').where('resource_type', '=', type).where('resource_id', '=', id).execute();
}
