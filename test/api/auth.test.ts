import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens, auditEvents, sessions, users } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { CookieClient } from '../helpers/browserless.ts';

describe('identity: OIDC sign-in through the development IdP, sessions, tokens', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it('says the development IdP is in use and lists its demo accounts', async () => {
    const p = await (await app.api('/auth/providers')).json();
    expect(p).toMatchObject({ development: true, issuer: `${app.url}/oidc` });
    expect(p.demoAccounts.map((a: { email: string }) => a.email)).toEqual(
      expect.arrayContaining([
        'steward@example.org',
        'builder@example.org',
        'auditor@example.org',
        'admin@example.org',
      ]),
    );
  });

  it('publishes real OpenID discovery with PKCE S256', async () => {
    const d = await (await fetch(`${app.url}/oidc/.well-known/openid-configuration`)).json();
    expect(d.issuer).toBe(`${app.url}/oidc`);
    expect(d.code_challenge_methods_supported).toContain('S256');
  });

  it('signs in with authorization code + PKCE, creates the user from the claims, and keeps the session in the database', async () => {
    const c = new CookieClient(app.url);
    const login = await c.fetch('/auth/login?returnTo=/datasets/x');
    expect(login.status).toBe(302);
    const authorize = new URL(login.headers.get('location')!);
    expect(authorize.pathname).toBe('/oidc/auth');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toBeTruthy();

    const c2 = new CookieClient(app.url);
    const { url } = await c2.signIn('builder', '/datasets/x');
    expect(new URL(url).pathname).toBe('/datasets/x');
    const me = await (await c2.fetch('/api/v1/me')).json();
    expect(me.user).toMatchObject({ email: 'builder@example.org', name: 'Bea Builder', isAdmin: false });
    expect(Array.isArray(me.rules)).toBe(true);
    const [u] = await app.database.db.select().from(users).where(eq(users.email, 'builder@example.org'));
    expect(u.issuer).toBe(`${app.url}/oidc`);
    expect(u.subject).toBe('builder');
    const rows = await app.database.db.select().from(sessions).where(eq(sessions.userId, u.id));
    expect(rows.length).toBe(1);
    expect(
      await app.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'user.created')),
    ).toHaveLength(1);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie and a new session id at sign-in', async () => {
    const c = new CookieClient(app.url);
    const pre = await c.fetch('/auth/login');
    const preSid = pre.headers.getSetCookie().find((s) => s.startsWith('steward.sid='));
    expect(preSid).toMatch(/HttpOnly/i);
    expect(preSid).toMatch(/SameSite=Lax/i);
    expect(preSid).not.toMatch(/Secure/i); // http here; Secure behind https (PUBLIC_URL https://…)
    // The session that carried the sign-in is replaced by a new one once signed in.
    const beforeSignIn = c.jar.get('steward.sid');
    expect(beforeSignIn).toBeTruthy();
    await c.signIn('steward');
    expect(c.jar.get('steward.sid')).toBeTruthy();
    expect(c.jar.get('steward.sid')).not.toBe(beforeSignIn);
    expect((await (await c.fetch('/api/v1/me')).json()).user.email).toBe('steward@example.org');
  });

  it('binds a user created ahead of sign-in by their verified e-mail', async () => {
    await app.user({ email: 'auditor@example.org', name: 'Pre-made' });
    const c = new CookieClient(app.url);
    await c.signIn('auditor');
    const [u] = await app.database.db.select().from(users).where(eq(users.email, 'auditor@example.org'));
    expect(u.subject).toBe('auditor');
    expect(
      (await app.database.db.select().from(users).where(eq(users.email, 'auditor@example.org'))).length,
    ).toBe(1);
  });

  it('refuses cross-site state changes made with the session cookie (CSRF)', async () => {
    const c = new CookieClient(app.url);
    await c.signIn('builder');
    const evil = await c.fetch('/api/v1/tokens', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(evil.status).toBe(403);
    expect((await evil.json()).code).toBe('csrf_rejected');
    const ok = await c.fetch('/api/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.url, 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ name: 'laptop', scopes: ['read', 'download'] }),
    });
    expect(ok.status).toBe(201);
  });

  it('creates, lists, uses and deletes API tokens; only a hash is stored; deleted or expired tokens get 401', async () => {
    const c = new CookieClient(app.url);
    await c.signIn('steward');
    const created = await c.fetch('/api/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.url },
      body: JSON.stringify({ name: 'script', scopes: ['read', 'download'], expiresInDays: 30 }),
    });
    expect(created.status).toBe(201);
    const t = await created.json();
    expect(t.token).toMatch(/^stw_/);
    expect(t.scopes).toEqual(['read', 'download']);
    const [row] = await app.database.db.select().from(apiTokens).where(eq(apiTokens.id, t.id));
    expect(row.tokenHash).not.toContain(t.token);
    expect(JSON.stringify(row)).not.toContain(t.token);
    // The secret never reaches the audit log either.
    const events = await app.database.db.select().from(auditEvents).where(eq(auditEvents.subjectId, t.id));
    expect(events.map((e) => e.action)).toEqual(['token.created']);
    expect(JSON.stringify(events)).not.toContain(t.token);

    const me = await (await app.api('/me', { token: t.token })).json();
    expect(me.user.email).toBe('steward@example.org');
    expect(me.token.scopes).toEqual(['read', 'download']);
    const list = await (await app.api('/tokens', { token: t.token })).json();
    expect(
      list.items.some((i: { id: string; token?: string }) => i.id === t.id && i.token === undefined),
    ).toBe(true);

    // A token cannot mint or delete tokens: a leaked token must not breed.
    expect(
      (await app.api('/tokens', { method: 'POST', token: t.token, json: { name: 'more' } })).status,
    ).toBe(403);

    const del = await c.fetch(`/api/v1/tokens/${t.id}`, { method: 'DELETE', headers: { origin: app.url } });
    expect(del.status).toBe(204);
    const after = await app.api('/me', { token: t.token });
    expect(after.status).toBe(401);
    expect((await after.json()).code).toBe('invalid_token');

    const old = await app.user({ email: 'old@test.org' });
    await app.database.db
      .update(apiTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiTokens.userId, old.id));
    const expired = await app.api('/datasets', { token: old.token });
    expect(expired.status).toBe(401);
    expect((await app.api('/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await app.api('/me', { token: 'stw_not-a-real-token' })).status).toBe(401);
  });

  it('deleting someone else’s token is 404', async () => {
    const a = await app.user({ email: 'a@test.org' });
    const b = await app.user({ email: 'b@test.org' });
    const [bt] = await app.database.db.select().from(apiTokens).where(eq(apiTokens.userId, b.id));
    const c = new CookieClient(app.url);
    await c.signIn('builder');
    expect(
      (await c.fetch(`/api/v1/tokens/${bt.id}`, { method: 'DELETE', headers: { origin: app.url } })).status,
    ).toBe(404);
    expect(a).toBeTruthy();
  });

  it('sign-out destroys the session row', async () => {
    const c = new CookieClient(app.url);
    await c.signIn('admin');
    const sid = decodeURIComponent(c.jar.get('steward.sid')!).slice(2).split('.')[0];
    expect((await app.database.db.select().from(sessions).where(eq(sessions.sid, sid))).length).toBe(1);
    const out = await c.fetch('/auth/logout', { method: 'POST', headers: { origin: app.url } });
    expect(out.status).toBe(204);
    expect((await app.database.db.select().from(sessions).where(eq(sessions.sid, sid))).length).toBe(0);
    const me = await (await c.fetch('/api/v1/me')).json();
    expect(me.user).toBeNull();
  });

  it('after sign-out, the next sign-in may choose another account', async () => {
    const c = new CookieClient(app.url);
    await c.signIn('builder');
    await c.fetch('/auth/logout', { method: 'POST', headers: { origin: app.url } });
    await c.signIn('steward');
    const me = await (await c.fetch('/api/v1/me')).json();
    expect(me.user.email).toBe('steward@example.org');
  });

  it('rejects a return address outside the site (no open redirect)', async () => {
    const c = new CookieClient(app.url);
    const { url } = await c.signIn('builder', '//evil.example/x');
    expect(new URL(url).origin).toBe(app.url);
    expect(new URL(url).pathname).toBe('/');
  });
});

describe('sign-in limits and a missing identity provider', () => {
  let app: TestApp;
  beforeAll(async () => {
    // An issuer nobody answers at: sign-in must fail clearly, the rest of the platform must run.
    app = await startTestApp({ OIDC_ISSUER: 'http://127.0.0.1:9/realms/none', OIDC_CLIENT_ID: 'steward' });
  });
  afterAll(() => app?.stop());

  it('answers 503 idp_unavailable when the IdP cannot be reached, and the API still works', async () => {
    const res = await fetch(`${app.url}/auth/login`, { redirect: 'manual' });
    expect(res.status).toBe(503);
    expect((await res.json()).code).toBe('idp_unavailable');
    expect((await app.api('/health')).status).toBe(200);
    expect((await (await app.api('/auth/providers')).json()).development).toBe(false);
  });

  it('counts sign-in attempts in the database and answers 429 past the limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 62; i++)
      statuses.push((await fetch(`${app.url}/auth/login`, { redirect: 'manual' })).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const last = await fetch(`${app.url}/auth/login`, { redirect: 'manual' });
    expect(last.status).toBe(429);
    expect(last.headers.get('retry-after')).toBe('60');
    expect((await last.json()).code).toBe('rate_limited');
  });
});
