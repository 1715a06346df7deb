import {
  Column,
  type DriverValueDecoder,
  getTableColumns,
  is,
  Param,
  Placeholder,
  SQL,
  Table,
} from 'drizzle-orm';
import type postgres from 'postgres';
import type { Db } from './index.ts';

/** The part of a drizzle select this needs: its SQL with placeholders, and what it selects. */
interface SelectLike {
  toSQL(): { sql: string; params: unknown[] };
  _: { selectedFields: unknown; result: unknown[] };
  prepare(name: string): { execute(values: Record<string, unknown>): Promise<unknown[]> };
}

type Client = postgres.Sql;
const postgresJsOf = (db: Db): Client | undefined => {
  const c = (db as unknown as { $client?: Client }).$client;
  return c && typeof c.unsafe === 'function' && typeof c.begin === 'function' ? c : undefined;
};

type Decoder = DriverValueDecoder<unknown, unknown>;

/**
 * The selection's leaves in the order drizzle writes them into the select list (its `orderSelectedFields`,
 * which is missing from its type definitions): a column decodes with its own mapping, an `sql` with its `mapWith` (if any).
 */
function leaves(fields: Record<string, unknown>, prefix: string[] = []) {
  const out: { path: string[]; decoder: Decoder }[] = [];
  for (const [key, field] of Object.entries(fields)) {
    const path = [...prefix, key];
    if (is(field, Column)) out.push({ path, decoder: field });
    else if (is(field, SQL)) out.push({ path, decoder: (field as unknown as { decoder: Decoder }).decoder });
    else if (is(field, SQL.Aliased))
      out.push({ path, decoder: (field.sql as unknown as { decoder: Decoder }).decoder });
    else if (is(field, Table)) out.push(...leaves(getTableColumns(field), path));
    else out.push(...leaves(field as Record<string, unknown>, path));
  }
  return out;
}

/**
 * A select run many times a second, prepared once per database handle. The schema and the SQL stay
 * drizzle's: the text comes from the builder's `.toSQL()` and each field is decoded by its own column's
 * decoder. On postgres.js the text runs as a named prepared statement straight through the client, with
 * the placeholders' positions and the fields' decoders worked out once: drizzle's `execute` spends more
 * CPU around the round trip than the download gate's own logic (tracing spans, placeholder filling and
 * an `is()` check per field and parameter on every call). Elsewhere (PGlite) it is drizzle's prepared
 * query. Rows come back as drizzle's would, nested by the selection's keys (left-joined groups that mix
 * tables are never nulled as a whole, as in drizzle).
 */
export function directSelect<Q extends SelectLike>(
  db: Db,
  build: (db: Db) => Q,
  name: string,
): (values: Record<string, unknown>) => Promise<Q['_']['result']> {
  type Row = Q['_']['result'][number];
  const builder = build(db);
  const client = postgresJsOf(db);
  if (!client) {
    const q = builder.prepare(name);
    return (values) => q.execute(values) as Promise<Row[]>;
  }
  const { sql: text, params } = builder.toSQL();
  // Each parameter: a placeholder's name (encoded as drizzle would), or a constant.
  const getters = params.map((p): ((v: Record<string, unknown>) => unknown) => {
    if (is(p, Placeholder)) return (v) => placeholderValue(v, p.name);
    if (is(p, Param) && is(p.value, Placeholder)) {
      const { encoder } = p;
      const key = (p.value as Placeholder).name;
      return (v) => encoder.mapToDriverValue(placeholderValue(v, key));
    }
    return () => p;
  });
  const fields = leaves(builder._.selectedFields as Record<string, unknown>);
  const map = (raw: unknown[]): Row => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const { path, decoder } = fields[i];
      let node = out;
      for (let j = 0; j < path.length - 1; j++) {
        let inner = node[path[j]] as Record<string, unknown> | undefined;
        if (!inner) {
          inner = {};
          node[path[j]] = inner;
        }
        node = inner;
      }
      const v = raw[i];
      node[path[path.length - 1]] = v === null ? null : decoder.mapFromDriverValue(v);
    }
    return out as Row;
  };
  return async (values) => {
    const args = new Array(getters.length);
    for (let i = 0; i < getters.length; i++) args[i] = getters[i](values);
    const rows = await client.unsafe(text, args as never[], { prepare: true }).values();
    // The positions are drizzle's select list: a mismatch would decode fields into the wrong names.
    if (rows.columns.length !== fields.length)
      throw new Error(`${name}: ${rows.columns.length} columns for ${fields.length} fields`);
    const out = new Array<Row>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = map(rows[i] as unknown[]);
    return out;
  };
}

const placeholderValue = (values: Record<string, unknown>, name: string) => {
  if (!(name in values)) throw new Error(`No value for placeholder "${name}" was provided`);
  return values[name];
};
