import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessRequests } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { runCli } from '../helpers/cli.ts';
import { publishRelease } from '../helpers/publish.ts';

const cli = runCli;

/**
 * `steward request` against the whole platform (issue 5): the licence is accepted only with --accept,
 * the request is submitted with its purpose, answers and team, and the manifest then says the request is
 * pending; refusals name the missing step.
 */
describe('steward request', { timeout: 180_000 }, () => {
  let app: TestApp;
  let builder: { id: string; token: string };
  const requests = async () => (await app.database.db.select({ n: count() }).from(accessRequests))[0].n;
  const base = ['--purpose', 'research', '--description', 'A river study'];
  const run = (slug: string, extra: string[], token?: string) =>
    cli(['request', slug, ...base, '--server', app.url, ...extra], token ? { STEWARD_TOKEN: token } : {});

  beforeAll(async () => {
    app = await startTestApp();
    const steward = await app.community('rq', 's@test.org', 'RQ');
    await publishRelease(app.api, steward.token, {
      community: 'rq',
      slug: 'rq-gated',
      tier: 'gated',
      tag: 'v1',
      files: [{ name: 'data.bin', body: 'data\n' }],
      publishDataset: false,
    });
    const lic = await app.api('/datasets/rq-gated/licences', {
      method: 'POST',
      token: steward.token,
      json: {
        base: 'CC-BY-4.0',
        text: 'Research only.',
        purposes: ['research'],
        prohibitions: ['commercial'],
        reciprocity: [{ kind: 'share-model', timing: 'after-grant', dueDays: 30, evidence: 'link' }],
        decision: { rule: 'single' },
        fields: [
          { name: 'affiliation', label: 'Your institution', type: 'text', required: true },
          { name: 'consent', label: 'I will not re-identify anyone', type: 'checkbox', required: true },
        ],
      },
    });
    expect(lic.status).toBe(201);
    await app.api('/datasets/rq-gated/publish', { method: 'POST', token: steward.token });
    await publishRelease(app.api, steward.token, {
      community: 'rq',
      slug: 'rq-open',
      tier: 'open',
      tag: 'v1',
      files: [{ name: 'o.txt', body: 'o\n' }],
    });
    builder = await app.user({ email: 'b@test.org' });
    await app.user({ email: 'mate@test.org' });
  });
  afterAll(() => app?.stop());

  it('without --accept: prints the terms and where to read them, sends nothing', async () => {
    const r = await run(
      'rq-gated',
      ['--answer', 'affiliation=Uni', '--answer', 'consent=true'],
      builder.token,
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('--accept');
    expect(r.stderr).toContain(`${app.url}/datasets/rq-gated`);
    expect(r.stderr).toMatch(/Share the trained model within 30 days/);
    expect(r.stderr).toMatch(/question affiliation \(required\): Your institution/);
    expect(await requests()).toBe(0);
  });

  it('refusals: no token, a token without the request scope, an unknown or open dataset, usage, a missing answer', async () => {
    const anon = await run('rq-gated', ['--accept']);
    expect([anon.code, anon.stderr]).toEqual([3, expect.stringMatching(/--token or set STEWARD_TOKEN/)]);
    const ro = await app.user({ email: 'ro@test.org', scopes: ['read', 'download'] });
    const scoped = await run(
      'rq-gated',
      ['--accept', '--answer', 'affiliation=Uni', '--answer', 'consent=true'],
      ro.token,
    );
    expect([scoped.code, scoped.stderr]).toEqual([3, expect.stringMatching(/"request" scope/)]);
    const none = await run('no-such', ['--accept'], builder.token);
    expect([none.code, none.stderr]).toEqual([3, expect.stringMatching(/No dataset "no-such"/)]);
    const open = await run('rq-open', ['--accept'], builder.token);
    expect([open.code, open.stderr]).toEqual([3, expect.stringMatching(/is open/)]);
    const usage = await cli(['request', 'rq-gated', '--server', app.url]);
    expect([usage.code, usage.stderr]).toEqual([
      2,
      expect.stringMatching(/needs --purpose and --description/),
    ]);
    const box = await run('rq-gated', ['--accept', '--answer', 'consent=maybe'], builder.token);
    expect([box.code, box.stderr]).toEqual([2, expect.stringMatching(/checkbox: give true or false/)]);
    const missing = await run('rq-gated', ['--accept', '--answer', 'consent=true'], builder.token);
    expect([missing.code, missing.stderr]).toEqual([
      3,
      expect.stringMatching(/"Your institution" must be answered.*answer_required/),
    ]);
    expect(await requests()).toBe(0);
  });

  it('with --accept: submits, prints id, status and the terms match; the manifest says request_pending; a second is refused', async () => {
    const before = await (
      await app.api('/datasets/rq-gated/releases/v1/manifest', { token: builder.token })
    ).json();
    expect(before.withheld[0].reason).toBe('request_access');
    const r = await run(
      'rq-gated',
      [
        '--accept',
        '--outputs',
        'A paper',
        '--days',
        '30',
        '--answer',
        'affiliation=Uni of the River',
        '--answer',
        'consent=yes',
        '--team',
        'mate@test.org',
      ],
      builder.token,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [row] = await app.database.db
      .select()
      .from(accessRequests)
      .where(eq(accessRequests.requesterId, builder.id));
    expect(r.stdout).toContain(`request ${row.id}`);
    expect(r.stdout).toMatch(/status: submitted/);
    expect(r.stdout).toMatch(/terms match: match/);
    expect(row).toMatchObject({
      purposeCategory: 'research',
      purposeDescription: 'A river study',
      commercial: false,
      intendedOutputs: 'A paper',
      requestedDays: 30,
      answers: { affiliation: 'Uni of the River', consent: true },
    });
    expect(row.teamUserIds).toHaveLength(1);

    const m = await (
      await app.api('/datasets/rq-gated/releases/v1/manifest', { token: builder.token })
    ).json();
    expect(m.withheld[0]).toMatchObject({
      reason: 'request_pending',
      message: expect.stringMatching(/waiting/),
    });

    const again = await run(
      'rq-gated',
      ['--accept', '--answer', 'affiliation=Uni', '--answer', 'consent=true'],
      builder.token,
    );
    expect([again.code, again.stderr]).toEqual([3, expect.stringMatching(/request_already_open/)]);
  });
});
