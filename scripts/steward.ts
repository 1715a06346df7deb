/**
 * The `steward` CLI: thin callers of the api's services.
 *   serve | migrate | seed | users create --email E --name N [--admin]
 *   tokens create --user E [--scopes read,download,request] [--expires 30d] [--name N]
 *   audit verify
 *   pull DATASET[@RELEASE] [--dir D] [--token T] [--server URL]   (scripts/pull.ts)
 *   request DATASET --purpose CAT --description TEXT [--accept] …   (scripts/request.ts)
 *   report --community SLUG [--dataset SLUG] [--format csv|json] [--from D --to D]
 *   jobs run
 */
import { parseArgs } from 'node:util';
import type { parseConfig } from '../api/config.ts';
import type { openDb } from '../db/index.ts';

// Modules load per command (dynamic imports below): `pull` is an HTTP client and should start without
// the api, the AWS SDK and the database driver (they cost seconds of start-up).

const usage = `usage: steward <command>
  serve                                   run the platform (npm start)
  migrate                                 apply database migrations
  seed                                    seed the demo community (once per database)
  users create --email E --name N [--admin]
  tokens create --user E [--scopes read,download,request] [--expires 30d] [--name N]
  pull DATASET[@RELEASE] [--dir D] [--token T] [--server URL] [--parallel N]
                                          download a release: resume, SHA-256 check (exit 3: no access)
  request DATASET --purpose CAT --description TEXT [--commercial] [--for-profit] [--outputs TEXT]
          [--days N] [--answer KEY=VALUE]... [--team EMAIL]... [--accept] [--token T] [--server URL]
                                          request access to a gated dataset (exit 3: refused)
  audit verify                            recompute the audit log; exit 1 naming the first bad event
  report --community SLUG [--dataset SLUG] [--format csv|json] [--from YYYY-MM-DD --to YYYY-MM-DD]
  jobs run                                run the periodic job once: expiries, overdue obligations,
                                          reminders, and the e-mail outbox when SMTP_URL is set`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

async function withDb<T>(
  fn: (db: Awaited<ReturnType<typeof openDb>>, config: ReturnType<typeof parseConfig>) => Promise<T>,
) {
  const { ConfigError, parseConfig } = await import('../api/config.ts');
  const { openDb } = await import('../db/index.ts');
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const database = await openDb(config.databaseUrl, { max: config.databasePoolSize });
  try {
    await database.migrate();
    return await fn(database, config);
  } finally {
    await database.close();
  }
}

function parseExpiry(s: string): number {
  const m = /^(\d+)\s*d?$/.exec(s.trim());
  if (!m) fail(`--expires takes a number of days, e.g. 30d (got "${s}")`);
  return Number(m[1]);
}

async function main(argv: string[]) {
  const [command, sub, ...rest] = argv;
  switch (command) {
    case 'serve':
      // Loaded only here: the server pulls in the IdP and web stack the other commands do not need.
      return (await import('../api/server.ts')).serve();
    case 'migrate':
      return withDb(async (d) => console.log(`migrations applied (${d.kind})`));
    case 'seed':
      return withDb(async (d, config) => {
        const { openStore } = await import('../api/storage/open-store.ts');
        const { seedDemo } = await import('../api/seed/seed.service.ts');
        const { store, embedded } = await openStore(config, new URL(config.publicUrl).origin);
        try {
          console.log((await seedDemo(d.db, store)) ? 'demo data seeded' : 'demo data was already seeded');
        } finally {
          await embedded?.close();
        }
      });
    case 'users': {
      if (sub !== 'create') fail(usage);
      const { values } = parseArgs({
        args: rest,
        options: { email: { type: 'string' }, name: { type: 'string' }, admin: { type: 'boolean' } },
      });
      if (!values.email || !values.name) fail('users create needs --email and --name');
      return withDb(async (d) => {
        const { ensureUser } = await import('../api/users/users.service.ts');
        const { systemCtx } = await import('../api/audit/audit.ts');
        const { user, created } = await ensureUser(d.db, systemCtx('cli'), {
          email: values.email!,
          name: values.name!,
          isAdmin: values.admin,
        });
        console.log(
          `${created ? 'created' : 'exists'}: ${user.email} (${user.id})${user.isAdmin ? ' admin' : ''}`,
        );
      });
    }
    case 'tokens': {
      if (sub !== 'create') fail(usage);
      const { values } = parseArgs({
        args: rest,
        options: {
          user: { type: 'string' },
          scopes: { type: 'string' },
          expires: { type: 'string' },
          name: { type: 'string' },
        },
      });
      if (!values.user) fail('tokens create needs --user EMAIL');
      const { CreateToken } = await import('../api/tokens/tokens.schema.ts');
      const input = CreateToken.safeParse({
        name: values.name ?? 'cli',
        scopes: values.scopes ? values.scopes.split(',').map((s) => s.trim()) : undefined,
        expiresInDays: values.expires ? parseExpiry(values.expires) : undefined,
      });
      if (!input.success) fail(input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
      return withDb(async (d) => {
        const { findByEmail } = await import('../api/users/users.repo.ts');
        const { createTokenFor } = await import('../api/tokens/tokens.service.ts');
        const { systemCtx } = await import('../api/audit/audit.ts');
        const user = await findByEmail(d.db, values.user!);
        if (!user) fail(`no user with e-mail ${values.user} (create one with: steward users create)`);
        const { row, token } = await createTokenFor(
          { ...systemCtx('cli'), db: d.db, now: new Date() },
          user.id,
          input.data,
        );
        console.log(
          `token "${row.name}" for ${user.email}, scopes ${row.scopes.join(',')}, expires ${row.expiresAt.toISOString()}`,
        );
        // The token alone on the last line, for scripts: TOKEN=$(steward tokens create … | tail -1)
        console.log(token);
      });
    }
    case 'audit': {
      const { auditCommand } = await import('./audit.ts');
      const code = await withDb((d, config) => auditCommand(d.db, sub, config.databaseUrl));
      if (code) process.exit(code);
      return;
    }
    case 'pull':
      // An HTTP client of the platform: it needs no database or configuration of its own.
      process.exitCode = await (await import('./pull.ts')).pull(argv.slice(1));
      return;
    case 'request':
      // An HTTP client too: no database or configuration of its own.
      process.exitCode = await (await import('./request.ts')).request(argv.slice(1));
      return;
    case 'report': {
      const { parseReportArgs, reportCommand } = await import('./report.ts');
      const parsed = parseReportArgs(argv.slice(1));
      if (typeof parsed === 'number') process.exit(parsed);
      const code = await withDb((d) => reportCommand(d.db, parsed));
      if (code) process.exit(code);
      return;
    }
    case 'jobs': {
      if (sub !== 'run') fail(usage);
      return withDb(async (d, config) => {
        const { runJobs } = await import('../api/jobs/jobs.ts');
        const { smtpMailer } = await import('../api/jobs/mailer.ts');
        const mailer = config.mail ? smtpMailer(config.mail.smtpUrl, config.mail.from) : undefined;
        try {
          const r = await runJobs(d.db, { mailer, publicUrl: config.publicUrl });
          console.log(
            r.led
              ? `grants expired: ${r.expired}; obligations overdue: ${r.overdue}; notifications: ${r.notified}`
              : 'another process is running the job: no state changed',
          );
          if (mailer) console.log(`e-mails sent: ${r.emailed}; failed (will retry): ${r.emailFailed}`);
          if (r.emailFailed) process.exitCode = 1;
        } finally {
          mailer?.close();
        }
      });
    }
    case undefined:
    case 'help':
    case '--help':
      console.log(usage);
      return;
    default:
      fail(`unknown command "${command}"\n${usage}`);
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
