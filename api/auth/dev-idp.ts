import express, { type Router } from 'express';
import Provider, { type Configuration } from 'oidc-provider';
import { demoAccounts } from './demo-accounts.ts';

export interface DevIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Mounted at `/oidc` by the app. */
  router: Router;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * A real OpenID Provider (oidc-provider) inside the server, for development and tests: authorization
 * code + PKCE, discovery, JWKS and userinfo like any IdP. It signs in the demo accounts only, and it
 * refuses to exist in production.
 */
export function createDevIdp(opts: {
  publicUrl: string;
  env: string;
  cookieKey: string;
  clientSecret: string;
}): DevIdp {
  if (opts.env === 'production') {
    throw new Error(
      'The development identity provider refuses to run with NODE_ENV=production: set OIDC_ISSUER.',
    );
  }
  const issuer = `${opts.publicUrl}/oidc`;
  const clientId = 'steward-dev';
  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: opts.clientSecret,
        redirect_uris: [`${opts.publicUrl}/auth/callback`],
        post_logout_redirect_uris: [`${opts.publicUrl}/`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    ttl: {
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    cookies: { keys: [opts.cookieKey] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/oidc/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const account = demoAccounts.find((a) => a.id === id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, email: account.email, email_verified: true, name: account.name }),
      };
    },
    // First-party client: consent is implied, so only the login prompt reaches the interaction page.
    async loadExistingGrant(ctx) {
      const grantId =
        ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client!.clientId,
        accountId: ctx.oidc.session!.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Sign-in error</title><h1>Sign-in error</h1><p>${escapeHtml(String(out.error_description ?? out.error))}</p><p><a href="/">Back to Steward</a></p>`;
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.proxy = true;

  const router = express.Router();
  router.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      res.setHeader('Cache-Control', 'no-store');
      const buttons = demoAccounts
        .map(
          (a) =>
            `<li><button type="submit" name="account" value="${a.id}"><strong>${escapeHtml(a.name)}</strong><span>${escapeHtml(a.email)} · ${escapeHtml(a.role)}</span></button></li>`,
        )
        .join('');
      res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Development sign-in · Steward</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d2733}
.notice{background:#fff4d6;border:1px solid #e0b84c;padding:.75rem 1rem;border-radius:6px}
ul{list-style:none;padding:0}li{margin:.5rem 0}
button{width:100%;text-align:left;padding:.75rem 1rem;border:1px solid #b8c2cc;border-radius:6px;background:#fff;cursor:pointer;font:inherit}
button:hover,button:focus{border-color:#2b6cb0;outline:2px solid #2b6cb0}
button span{display:block;color:#52606d;font-size:.9rem}
</style></head><body>
<h1>Sign in to Steward</h1>
<p class="notice"><strong>Development identity provider.</strong> This instance runs the built-in development IdP, which is not for production: anyone can sign in as any demo account. Set <code>OIDC_ISSUER</code> to use a real identity provider.</p>
<form method="post" action="/oidc/interaction/${escapeHtml(details.uid)}/login">
<p>Choose a demo account:</p><ul>${buttons}</ul></form>
</body></html>`);
    } catch (err) {
      next(err);
    }
  });
  router.post(
    '/interaction/:uid/login',
    express.urlencoded({ extended: false, limit: '2kb' }),
    async (req, res, next) => {
      try {
        await provider.interactionDetails(req, res);
        const account = demoAccounts.find((a) => a.id === req.body?.account);
        if (!account) {
          res.status(400).type('text').send('Unknown demo account.');
          return;
        }
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: account.id } },
          { mergeWithLastSubmission: false },
        );
      } catch (err) {
        next(err);
      }
    },
  );
  router.use(provider.callback());
  return { issuer, clientId, clientSecret: opts.clientSecret, router };
}
