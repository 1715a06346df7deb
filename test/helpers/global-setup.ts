import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDb } from '../../db/index.ts';

/**
 * Migrates one database for the whole run: a PGlite data-dir dump that each test file loads, or — with
 * DATABASE_URL — a PostgreSQL template database that each test file copies.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'steward-test-'));
  const url = process.env.DATABASE_URL;
  if (url) {
    const template = `steward_tpl_${process.pid}`;
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${template}`);
    await admin.unsafe(`create database ${template}`);
    const tplUrl = withDatabase(url, template);
    const handle = await openDb(tplUrl);
    await handle.migrate();
    await handle.close();
    project.provide('pgTemplate', template);
    project.provide('pgUrl', url);
    return async () => {
      await admin.unsafe(`drop database if exists ${template} with (force)`).catch(() => {});
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const pg = new PGlite();
  const handle = await openDb('memory:', { pglite: pg });
  await handle.migrate();
  const dump = await pg.dumpDataDir('none');
  const path = join(dir, 'migrated.tar');
  writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
  await pg.close();
  project.provide('pgliteDump', path);
  return () => rmSync(dir, { recursive: true, force: true });
}

export function withDatabase(url: string, name: string) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteDump: string;
    pgTemplate: string;
    pgUrl: string;
  }
}
