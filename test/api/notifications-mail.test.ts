import { createServer } from 'node:net';
import { eq } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifications } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

interface Received {
  from: string;
  to: string[];
  user: string | undefined;
  raw: string;
}

/** A free port, by binding and releasing it: nothing listens there until the test starts the SMTP server. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A real SMTP server (smtp-server) with AUTH PLAIN/LOGIN that keeps every message it accepts. */
async function startSmtp(port: number) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'mailer' && auth.password === 's3cret') return cb(null, { user: auth.username });
      cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Headers unfolded, and a quoted-printable body decoded. */
function parse(raw: string) {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = head.replace(/\r?\n[ \t]+/g, ' ');
  const subject = /^Subject: (.*)$/im.exec(headers)?.[1] ?? '';
  let text = rest.join('\n\n');
  if (/Content-Transfer-Encoding: quoted-printable/i.test(headers))
    text = text
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_m, h) => String.fromCharCode(Number.parseInt(h, 16)));
  return { subject, text, headers };
}

/** E-mail through SMTP: sent after commit by the job, kept and retried while the server is down. */
describe('notification e-mail', () => {
  let app: TestApp;
  let port: number;
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;

  beforeAll(async () => {
    port = await freePort();
    app = await startTestApp({
      SMTP_URL: `smtp://mailer:s3cret@127.0.0.1:${port}`,
      MAIL_FROM: 'Steward <steward@test.org>',
    });
  });
  afterAll(async () => {
    await app?.stop();
    await smtp?.close();
  });

  it('a notice is e-mailed to its recipient with its link, after a first attempt while SMTP was down', async () => {
    const post = (path: string, token: string, json: unknown = {}) =>
      app.api(path, { method: 'POST', token, json });
    const admin = await app.user({ email: 'admin@test.org', admin: true });
    await post('/communities', admin.token, { slug: 'c1', name: 'C1', stewardEmail: 'steward@test.org' });
    const steward = await app.user({ email: 'steward@test.org', name: 'Sam' });
    const requester = await app.user({ email: 'req@test.org', name: 'Rae Requester' });
    await post('/datasets', steward.token, {
      community: 'c1',
      slug: 'rivers',
      title: 'Rivers',
      tier: 'gated',
    });
    await post('/datasets/rivers/licences', steward.token, {
      base: 'CC-BY-4.0',
      text: 'x',
      purposes: ['research'],
      decision: { rule: 'single' },
    });
    await post('/datasets/rivers/publish', steward.token);
    const res = await post('/datasets/rivers/access-requests', requester.token, {
      purpose: { category: 'research', description: 'River health', commercial: false, forProfit: false },
      licenceVersion: 1,
    });
    expect(res.status).toBe(201);
    const requestId = (await res.json()).id;

    // SMTP down: the attempt fails, the notice stays in the outbox with its error and a retry time.
    const down = await app.jobs.runOnce();
    expect(down).toMatchObject({ emailed: 0, emailFailed: 1 });
    const [kept] = await app.database.db.select().from(notifications);
    expect(kept).toMatchObject({ emailedAt: null, emailAttempts: 1, emailError: expect.any(String) });
    expect(kept.emailNextAt!.getTime()).toBeGreaterThan(Date.now());
    // The in-app inbox has it meanwhile.
    expect((await (await app.api('/me/notifications', { token: steward.token })).json()).unread).toBe(1);

    smtp = await startSmtp(port);
    // Before its back-off ends, nothing is retried.
    expect(await app.jobs.runOnce()).toMatchObject({ emailed: 0, emailFailed: 0 });
    expect(smtp.received).toHaveLength(0);
    const up = await app.jobs.runOnce(new Date(Date.now() + 5 * 60_000));
    expect(up).toMatchObject({ emailed: 1, emailFailed: 0 });
    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail.user).toBe('mailer');
    expect(mail.from).toBe('steward@test.org');
    expect(mail.to).toEqual(['steward@test.org']);
    const { subject, text } = parse(mail.raw);
    expect(subject).toBe('New access request: Rivers');
    expect(text).toContain('Rae Requester asks for access to "Rivers" for research: River health');
    expect(text).toContain(`${app.url}/requests/${requestId}`);
    const [sent] = await app.database.db.select().from(notifications).where(eq(notifications.id, kept.id));
    expect(sent).toMatchObject({ emailedAt: expect.any(Date), emailAttempts: 2, emailError: null });

    // Sent once: later runs send nothing more.
    expect((await app.jobs.runOnce(new Date(Date.now() + 60 * 60_000))).emailed).toBe(0);
    expect(smtp.received).toHaveLength(1);
  });
});
