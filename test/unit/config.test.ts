import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../api/config.ts';

describe('config', () => {
  it('has embedded defaults for everything', () => {
    const c = parseConfig({});
    expect(c.port).toBe(3000);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.databaseUrl).toMatch(/^file:.*data\/db$/);
    expect(c.s3.endpoint).toBeUndefined();
    expect(c.oidc.issuer).toBeUndefined();
    expect(c.signedUrlTtlSeconds).toBe(300);
  });

  it('sizes the PostgreSQL pool from the cores unless told', () => {
    expect(parseConfig({}).databasePoolSize).toBe(Math.min(10, Math.max(4, 2 * availableParallelism())));
    expect(parseConfig({ DATABASE_POOL_SIZE: '16' }).databasePoolSize).toBe(16);
    expect(parseConfig({ DATABASE_POOL_SIZE: '' }).databasePoolSize).toBe(parseConfig({}).databasePoolSize);
    for (const bad of ['0', 'many', '2.5'])
      expect(() => parseConfig({ DATABASE_POOL_SIZE: bad })).toThrow(/DATABASE_POOL_SIZE/);
  });

  it('lists every invalid variable at once', () => {
    try {
      parseConfig({ PORT: 'eighty', SIGNED_URL_TTL_SECONDS: '0', S3_ENDPOINT: 'not a url' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain('PORT');
      expect(msg).toContain('SIGNED_URL_TTL_SECONDS');
      expect(msg).toContain('S3_ENDPOINT');
    }
  });

  it('refuses production without a real identity provider', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(/OIDC_ISSUER/);
    expect(() => parseConfig({ OIDC_ISSUER: 'https://idp.example/' })).toThrow(/OIDC_CLIENT_ID/);
    expect(() => parseConfig({ S3_ENDPOINT: 'https://s3.example' })).toThrow(/S3_ACCESS_KEY_ID/);
    const c = parseConfig({
      NODE_ENV: 'production',
      OIDC_ISSUER: 'https://idp.example/realms/x',
      OIDC_CLIENT_ID: 'steward',
      PUBLIC_URL: 'https://steward.example/',
    });
    expect(c.publicUrl).toBe('https://steward.example');
  });

  it('reads the periodic job interval and the SMTP settings, never echoing the SMTP password', () => {
    expect(parseConfig({}).jobsIntervalMs).toBe(60_000);
    expect(parseConfig({ JOBS_INTERVAL_SECONDS: 'off' }).jobsIntervalMs).toBe(0);
    expect(parseConfig({ JOBS_INTERVAL_SECONDS: '0' }).jobsIntervalMs).toBe(0);
    expect(parseConfig({ JOBS_INTERVAL_SECONDS: '300' }).jobsIntervalMs).toBe(300_000);
    expect(() => parseConfig({ JOBS_INTERVAL_SECONDS: 'soon' })).toThrow(/JOBS_INTERVAL_SECONDS/);
    expect(parseConfig({}).mail).toBeUndefined();
    expect(() => parseConfig({ SMTP_URL: 'smtp://u:hunter2@mail.example:587' })).toThrow(/MAIL_FROM/);
    try {
      parseConfig({ SMTP_URL: 'http://u:hunter2@mail.example', MAIL_FROM: 'a@b.c' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain('SMTP_URL');
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(
      parseConfig({ SMTP_URL: 'smtps://u:p@mail.example:465', MAIL_FROM: 'Steward <s@example.org>' }).mail,
    ).toEqual({ smtpUrl: 'smtps://u:p@mail.example:465', from: 'Steward <s@example.org>' });
  });
});
