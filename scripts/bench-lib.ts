/**
 * What the benchmarks share: the scratch-database URL beside BENCH_DATABASE_URL, and the steward (or
 * any script) run as a child process that is ready once its stdout matches, and stopped with SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export const benchBaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of database `name` on the bench's PostgreSQL server. */
export function dbUrl(name: string, base = benchBaseUrl) {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** `node --import tsx ...args` with `env` added; resolves when stdout matches `ready`. */
export function startChild(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray; ms: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = out.match(ready);
      if (m) {
        child.stdout!.off('data', onData);
        resolve({ child, match: m, ms: performance.now() - t0 });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b) => {
      if (process.env.BENCH_VERBOSE) process.stderr.write(b);
    });
    child.on('exit', (code) => reject(new Error(`child exited with ${code}:\n${out}`)));
  });
}

/** `steward serve` in its own process; `url` uses 127.0.0.1 (what load generators should call). */
export async function serveSteward(env: Record<string, string>, nodeArgs: string[] = []) {
  const s = await startChild([...nodeArgs, 'scripts/steward.ts', 'serve'], env, /running at (http:\/\/\S+)/);
  return { ...s, url: s.match[1].replace('localhost', '127.0.0.1') };
}

export const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
