/**
 * `steward pull DATASET[@RELEASE] [--dir D] [--token T] [--server URL] [--parallel N]`: the builder's
 * download client. Fetches the release manifest (`GET /datasets/:slug/releases/:tag/manifest`), then every
 * file the caller may download straight from its signed URL, with progress bars, resume of partial files
 * (HTTP Range), SHA-256 verification and a fresh manifest when a signed URL runs out.
 *
 * Exit codes: 0 everything pulled and verified; 1 a download or verification failed; 2 usage;
 * 3 access not granted (the message names the missing step).
 *
 * An HTTP client only: it imports nothing of the api, so it can be copied to any machine with Node.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { z } from 'zod';

export const EXIT = { ok: 0, failed: 1, usage: 2, access: 3 } as const;

export const pullUsage = `usage: steward pull DATASET[@RELEASE] [--dir D] [--token T] [--server URL] [--parallel N]
  RELEASE       a release tag; default "latest" (the newest published release)
  --dir D       where to write the files; default ./DATASET-TAG
  --token T     an API token with the "download" scope; default $STEWARD_TOKEN
  --server URL  default $STEWARD_SERVER or http://localhost:3000
  --parallel N  files downloaded at once; default 4
exit codes: 0 ok, 1 download or verification failed, 2 usage, 3 access not granted`;

const ManifestFile = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  url: z.string().url(),
  expiresAt: z.string(),
});
type ManifestFile = z.infer<typeof ManifestFile>;
const Manifest = z.object({
  dataset: z.object({ slug: z.string(), title: z.string().optional() }),
  release: z.object({ tag: z.string() }),
  files: z.array(ManifestFile),
  withheld: z.array(
    z.object({ id: z.string(), name: z.string(), tier: z.string(), reason: z.string(), message: z.string() }),
  ),
});
type Manifest = z.infer<typeof Manifest>;

/** An error that ends the run with an exit code and a message for the person. */
class PullError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Retry the transfer (resuming): the connection dropped or the signed URL ran out. */
class Retry extends Error {
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super(message);
  }
}

/**
 * File names come from the server: data, never paths. A name that could leave `dir` (`..`, a separator,
 * an absolute or drive-letter path, a NUL) is refused.
 */
export function safeName(dir: string, name: string): string | undefined {
  if (!name || name === '.' || name === '..' || name.length > 255) return undefined;
  if (/[/\\\0]/.test(name) || isAbsolute(name) || /^[A-Za-z]:/.test(name)) return undefined;
  const target = resolve(dir, name);
  return target.startsWith(resolve(dir) + sep) ? target : undefined;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const exists = (p: string) =>
  stat(p).then(
    (s) => s,
    () => undefined,
  );

async function hashInto(hash: Hash, path: string) {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

async function sha256File(path: string) {
  const h = createHash('sha256');
  await hashInto(h, path);
  return h.digest('hex');
}

interface Output {
  /** A line for the person (above the bars on a terminal). */
  log(line: string): void;
  /** A progress reporter for one file. */
  bar(name: string, size: number, done: number): { update(done: number): void; stop(): void };
  stop(): void;
}

/** Progress bars on a terminal; plain lines otherwise (logs, CI, pipes). */
function output(tty: boolean, out: NodeJS.WritableStream): Output {
  if (!tty) {
    return {
      log: (line) => out.write(`${line}\n`),
      bar: () => ({ update() {}, stop() {} }),
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      format: ' {bar} {percentage}% | {file} | {doneMb}/{sizeMb} MB',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      stream: out as NodeJS.WritableStream & { isTTY: boolean },
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (name: string, size: number, done: number) => ({
    file: name,
    doneMb: (done / 1e6).toFixed(1),
    sizeMb: (size / 1e6).toFixed(1),
  });
  return {
    log: (line) => multi.log(`${line}\n`),
    bar(name, size, done) {
      const b = multi.create(Math.max(size, 1), done, payload(name, size, done));
      return { update: (n) => b.update(n, payload(name, size, n)), stop: () => b.stop() };
    },
    stop: () => multi.stop(),
  };
}

interface Options {
  slug: string;
  tag: string;
  dir?: string;
  token?: string;
  server: string;
  parallel: number;
}

function parse(argv: string[], env: NodeJS.ProcessEnv): Options {
  let parsed: ReturnType<
    typeof parseArgs<{
      options: {
        dir: { type: 'string' };
        token: { type: 'string' };
        server: { type: 'string' };
        parallel: { type: 'string' };
      };
      allowPositionals: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string' },
        token: { type: 'string' },
        server: { type: 'string' },
        parallel: { type: 'string' },
      },
      allowPositionals: true,
    });
  } catch (err) {
    throw new PullError(EXIT.usage, `${(err as Error).message}\n${pullUsage}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new PullError(EXIT.usage, pullUsage);
  const [slug, tag = 'latest', ...extra] = positionals[0].split('@');
  if (extra.length || !/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(slug))
    throw new PullError(EXIT.usage, `"${positionals[0]}" is not DATASET[@RELEASE]\n${pullUsage}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(tag))
    throw new PullError(EXIT.usage, `"${tag}" is not a release tag\n${pullUsage}`);
  const parallel = Number(values.parallel ?? 4);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 32)
    throw new PullError(EXIT.usage, '--parallel takes a whole number from 1 to 32');
  const server = (values.server ?? env.STEWARD_SERVER ?? 'http://localhost:3000').replace(/\/+$/, '');
  try {
    new URL(server);
  } catch {
    throw new PullError(EXIT.usage, `--server "${server}" is not a URL`);
  }
  return { slug, tag, dir: values.dir, token: values.token ?? env.STEWARD_TOKEN, server, parallel };
}

/** Fetches the manifest (or only `only` of its files), turning refusals into the step that is missing. */
async function fetchManifest(o: Options, only?: string[]): Promise<Manifest> {
  const q = only ? `?files=${only.join(',')}` : '';
  const url = `${o.server}/api/v1/datasets/${o.slug}/releases/${encodeURIComponent(o.tag)}/manifest${q}`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
    });
  } catch (err) {
    throw new PullError(
      EXIT.failed,
      `cannot reach ${o.server}: ${(err as Error).cause ?? (err as Error).message}`,
    );
  }
  if (res.status === 401)
    throw new PullError(
      EXIT.access,
      'The server did not accept the token (expired, revoked or mistyped). Create a new one: steward tokens create --user EMAIL --scopes read,download',
    );
  if (res.status === 404)
    throw new PullError(
      EXIT.access,
      `No dataset "${o.slug}" with release "${o.tag}" that you can see.` +
        (o.token ? '' : ' If it is not public, sign in: pass --token or set STEWARD_TOKEN.'),
    );
  if (!res.ok) {
    const problem = (await res.json().catch(() => ({}))) as { detail?: string; code?: string };
    throw new PullError(
      EXIT.failed,
      `the server answered ${res.status}${problem.code ? ` (${problem.code})` : ''}: ${problem.detail ?? res.statusText}`,
    );
  }
  const m = Manifest.safeParse(await res.json());
  if (!m.success)
    throw new PullError(EXIT.failed, 'the server sent a manifest this client does not understand');
  return m.data;
}

type Outcome =
  | { kind: 'skipped' | 'pulled'; fetched: number }
  | { kind: 'failed'; message: string; accessLost?: boolean };

/** Signed URLs with less than this left are renewed before a transfer starts. */
const RENEW_MARGIN_MS = 10_000;
const ATTEMPTS = 4;

/**
 * Runs `steward pull` and returns its exit code. `argv` is what follows `pull`.
 */
export async function pull(
  argv: string[],
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv } = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  },
): Promise<number> {
  const err = (line: string) => io.stderr.write(`${line}\n`);
  let o: Options;
  try {
    o = parse(argv, io.env);
  } catch (e) {
    err((e as Error).message);
    return (e as PullError).exitCode ?? EXIT.usage;
  }
  const t0 = performance.now();
  let manifest: Manifest;
  try {
    manifest = await fetchManifest(o);
  } catch (e) {
    err(`steward pull: ${(e as Error).message}`);
    return e instanceof PullError ? e.exitCode : EXIT.failed;
  }
  // `latest` resolved: name the folder and later requests by the release the server chose.
  const tag = manifest.release.tag;
  const pinned = { ...o, tag };
  const dir = resolve(o.dir ?? `${o.slug}-${tag}`);
  const out = output(io.stdout.isTTY === true, io.stdout);
  const total = manifest.files.reduce((n, f) => n + f.size, 0);
  out.log(
    `${o.slug}@${tag}: ${manifest.files.length} file(s), ${mb(total)} → ${dir}` +
      (manifest.withheld.length ? ` (${manifest.withheld.length} withheld)` : ''),
  );
  await mkdir(dir, { recursive: true });

  // One renewal in flight at a time; every file waiting on it gets its fresh URL from the same answer.
  const current = new Map(manifest.files.map((f) => [f.id, f]));
  const finished = new Set<string>();
  let renewing: Promise<void> | undefined;
  const renew = () => {
    renewing ??= (async () => {
      const pending = [...current.keys()].filter((id) => !finished.has(id));
      const fresh = await fetchManifest(pinned, pending);
      for (const f of fresh.files) current.set(f.id, f);
      for (const w of fresh.withheld) current.delete(w.id);
      out.log(`renewed ${fresh.files.length} signed URL(s)`);
    })().finally(() => {
      renewing = undefined;
    });
    return renewing;
  };
  const urlOf = async (id: string) => {
    let f = current.get(id);
    if (f && Date.parse(f.expiresAt) - Date.now() < RENEW_MARGIN_MS) {
      await renew();
      f = current.get(id);
    }
    if (!f) throw new PullError(EXIT.access, 'access to this file ended during the pull');
    return f;
  };

  async function transfer(f: ManifestFile, target: string): Promise<Outcome> {
    const part = `${target}.part`;
    const have = await exists(target);
    if (have?.isFile()) {
      if (have.size === f.size && (await sha256File(target)) === f.sha256)
        return { kind: 'skipped', fetched: 0 };
      if (have.size < f.size && !(await exists(part))) {
        // A partial file left under its final name (by another tool, or an older client): resume it.
        await rename(target, part);
      } else {
        out.log(`${f.name}: the file on disk does not match the release; downloading it again`);
        await rm(target, { force: true });
      }
    }
    let fetched = 0;
    for (let attempt = 1; ; attempt++) {
      let offset = (await exists(part))?.size ?? 0;
      if (offset > f.size) {
        await rm(part, { force: true });
        offset = 0;
      }
      const hash = createHash('sha256');
      // The part file exists from the start, so an empty file is written (and renamed) like any other.
      if (offset === 0) await writeFile(part, '');
      if (offset > 0) {
        await hashInto(hash, part);
        out.log(`${f.name}: resuming at ${offset} of ${f.size} bytes`);
      }
      const bar = out.bar(f.name, f.size, offset);
      try {
        if (offset < f.size) fetched += await fetchRange(f, part, offset, hash, bar);
      } catch (e) {
        bar.stop();
        if (!(e instanceof Retry) || attempt >= ATTEMPTS) throw e;
        out.log(`${f.name}: ${e.message}; retrying (${attempt}/${ATTEMPTS - 1})`);
        if (e.expired) await renew();
        else await new Promise((r) => setTimeout(r, 250 * attempt));
        continue;
      }
      bar.stop();
      const digest = hash.digest('hex');
      if (digest !== f.sha256) {
        // Which bytes are wrong cannot be known: nothing of this file is kept.
        await rm(part, { force: true });
        return {
          kind: 'failed',
          message: `SHA-256 mismatch (expected ${f.sha256}, got ${digest}); the partial file was deleted`,
        };
      }
      await rename(part, target);
      return { kind: 'pulled', fetched };
    }
  }

  /** GETs bytes `offset…` of the file into `part`; returns how many bytes came over the wire. */
  async function fetchRange(
    f: ManifestFile,
    part: string,
    offset: number,
    hash: Hash,
    bar: ReturnType<Output['bar']>,
  ): Promise<number> {
    const { url } = await urlOf(f.id);
    let res: Response;
    try {
      res = await fetch(url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {} });
    } catch (e) {
      throw new Retry(`connection failed (${(e as Error).cause ?? (e as Error).message})`);
    }
    if (res.status === 403) {
      await res.body?.cancel();
      // S3 answers an expired signature with 403 AccessDenied ("Request has expired").
      throw new Retry('the signed URL was refused (expired?)', true);
    }
    if (res.status === 416) {
      await res.body?.cancel();
      await rm(part, { force: true });
      throw new Retry('the partial file is longer than the object');
    }
    if (res.status === 200 && offset > 0) {
      // The store ignored the Range header: start over from the first byte (verified all the same).
      await res.body?.cancel();
      await truncate(part, 0);
      throw new Retry('the store does not resume (no Range support); downloading from the start');
    }
    if (!(res.status === 200 || res.status === 206) || !res.body) {
      await res.body?.cancel();
      throw new Retry(`the object store answered ${res.status}`);
    }
    let done = offset;
    let got = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        done += chunk.length;
        got += chunk.length;
        bar.update(done);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
        meter,
        createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }),
      );
    } catch (e) {
      throw new Retry(`transfer interrupted after ${got} bytes (${(e as Error).message})`);
    }
    if (done !== f.size) throw new Retry(`the transfer ended at ${done} of ${f.size} bytes`);
    return got;
  }

  // Files are independent: a few at a time, each verified on its own.
  const queue = [...manifest.files];
  const results: { f: ManifestFile; outcome: Outcome }[] = [];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const target = safeName(dir, f.name);
      let outcome: Outcome;
      if (!target) outcome = { kind: 'failed', message: 'refused: the name is not a plain file name' };
      else {
        const t = performance.now();
        try {
          outcome = await transfer(f, target);
        } catch (e) {
          outcome = {
            kind: 'failed',
            message: (e as Error).message,
            accessLost: e instanceof PullError && e.exitCode === EXIT.access,
          };
        }
        const s = (performance.now() - t) / 1000;
        if (outcome.kind === 'pulled')
          out.log(
            `${f.name}: ok, SHA-256 verified; fetched ${outcome.fetched} of ${f.size} bytes in ${s.toFixed(1)} s`,
          );
        if (outcome.kind === 'skipped') out.log(`${f.name}: already here and verified; skipped`);
      }
      if (outcome.kind === 'failed') out.log(`${f.name}: FAILED: ${outcome.message}`);
      finished.add(f.id);
      results.push({ f, outcome });
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallel, manifest.files.length) }, worker));
  out.stop();

  const failed = results.filter((r) => r.outcome.kind === 'failed');
  const fetched = results.reduce((n, r) => n + (r.outcome.kind === 'failed' ? 0 : r.outcome.fetched), 0);
  const secs = (performance.now() - t0) / 1000;
  out.log(
    `${results.length - failed.length} of ${manifest.files.length} file(s) in ${dir}; fetched ${mb(fetched)} in ${secs.toFixed(1)} s (${(fetched / 1e6 / Math.max(secs, 1e-3)).toFixed(1)} MB/s)`,
  );
  for (const w of manifest.withheld) err(`withheld: ${w.name} (${w.tier}): ${w.message} [${w.reason}]`);
  if (failed.length) {
    err(`steward pull: ${failed.length} file(s) failed: ${failed.map((r) => r.f.name).join(', ')}`);
    // Access that ended mid-run (grant revoked, token expired) is a missing step, not a broken transfer.
    return failed.every((r) => r.outcome.kind === 'failed' && r.outcome.accessLost)
      ? EXIT.access
      : EXIT.failed;
  }
  if (manifest.withheld.length) {
    const steps = [...new Set(manifest.withheld.map((w) => w.message))];
    err(
      `steward pull: access not granted to ${manifest.withheld.length} file(s) of ${o.slug}@${tag}. Next step: ${steps.join(' ')}`,
    );
    return EXIT.access;
  }
  return EXIT.ok;
}
