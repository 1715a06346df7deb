import { demoAccounts } from './auth/demo-accounts.ts';
import { start } from './boot.ts';
import { ConfigError, parseConfig } from './config.ts';

/** `steward serve` / `npm start`: listen, print where, stop cleanly on Ctrl-C. */
export async function serve(): Promise<void> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const t0 = performance.now();
  const running = await start(config);
  const ms = Math.round(performance.now() - t0);
  const lines = [
    '',
    `  Steward is running at ${running.url}  (ready in ${ms} ms${running.seeded ? ', demo data seeded' : ''})`,
    `  database: ${running.database.kind}${running.database.kind === 'pglite' ? ` (${config.databaseUrl.slice(5)})` : ''}; objects: ${config.s3.endpoint ?? `embedded S3 in ${config.dataDir}/objects`}`,
  ];
  if (!config.oidc.issuer) {
    lines.push('  sign-in: built-in development identity provider (not for production). Demo accounts:');
    for (const a of demoAccounts) lines.push(`    - ${a.name.padEnd(12)} ${a.email.padEnd(22)} ${a.role}`);
  }
  lines.push('  Ctrl-C stops it; data is kept for the next start.', '');
  console.log(lines.join('\n'));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await running.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
