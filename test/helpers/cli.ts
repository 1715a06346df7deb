import { execFile } from 'node:child_process';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The real `steward` CLI in its own process (stdout is a pipe: plain-text output), with no token or
 * server from the caller's environment unless `env` gives them.
 */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/bin/steward.js', ...args],
      { env: { ...process.env, STEWARD_TOKEN: '', STEWARD_SERVER: '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? -1) : 0;
        resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
      },
    );
  });
}
