import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { DbHandle } from '../db/index.ts';
import {
  accessRequestsRoutes,
  datasetAccessRequestsRoutes,
} from './access-requests/access-requests.routes.ts';
import type { AuditPublicKey } from './audit/audit.present.ts';
import { auditRoutes, communityAuditRoutes } from './audit/audit.routes.ts';
import { authenticator } from './auth/authenticate.ts';
import { demoAccounts } from './auth/demo-accounts.ts';
import { createDevIdp } from './auth/dev-idp.ts';
import { oidcRoutes } from './auth/oidc.ts';
import { DbSessionStore } from './auth/session-store.ts';
import { catalogRoutes, croissantRoutes, datasetPageRoute } from './catalog/catalog.routes.ts';
import { communitiesRoutes } from './communities/communities.routes.ts';
import type { Config } from './config.ts';
import { datasetsRoutes, localContextsRoutes } from './datasets/datasets.routes.ts';
import { datasetDerivedWorksRoutes, grantDerivedWorksRoutes } from './derived-works/derived-works.routes.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { downloadRoute, filesRoutes, gateHeaders } from './files/files.routes.ts';
import { acceptRoute, grantsRoutes, keysRoute } from './grants/grants.routes.ts';
import type { InstanceSecrets } from './instance.ts';
import { licencesRoutes, licenceVocabularyRoutes } from './licences/licences.routes.ts';
import { meRoutes } from './me/me.routes.ts';
import { csrfGuard } from './middleware/csrf.ts';
import { notificationsRoutes } from './notifications/notifications.routes.ts';
import { grantObligationsRoutes, obligationsRoutes } from './obligations/obligations.routes.ts';
import { openApiDocument } from './openapi.ts';
import { releasesRoutes } from './releases/releases.routes.ts';
import { reportsRoutes } from './reports/reports.routes.ts';
import { signalsRoutes } from './signals/signals.routes.ts';
import type { ObjectStore } from './storage/object-store.ts';
import { tokensRoutes } from './tokens/tokens.routes.ts';
import { inlineScriptHashes, webRoutes } from './web-static.ts';

export interface AppDeps {
  config: Config;
  database: DbHandle;
  store: ObjectStore;
  /** The origin browsers reach the object store at (for CSP connect-src). */
  storageOrigin: string;
  storageKind: string;
  secrets: InstanceSecrets;
  /** The checkpoint key's public half (the private key stays with the sequencer). */
  auditKey: AuditPublicKey;
  logger: Logger;
}

/** Builds the express app without listening, so tests drive it over HTTP on any port. */
export function createApp(deps: AppDeps): Express {
  const { config, database, store, secrets } = deps;
  const db = database.db;
  const app = express();
  const publicOrigin = new URL(config.publicUrl).origin;
  const secure = config.publicUrl.startsWith('https:');
  app.set(
    'trust proxy',
    config.trustProxy === 'true' ? true : config.trustProxy === 'false' ? false : config.trustProxy,
  );
  app.disable('x-powered-by');

  const sessions = session({
    name: 'steward.sid',
    secret: secrets.sessionSecret,
    store: new DbSessionStore(db),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    proxy: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure, maxAge: 7 * 86_400_000, path: '/' },
  });
  // API requests without our cookie (bearer tokens, anonymous scripts) never touch the session store.
  const maybeSession: express.RequestHandler = (req, res, next) =>
    !req.headers.authorization && req.headers.cookie?.includes('steward.sid=')
      ? sessions(req, res, next)
      : next();

  const auth = authenticator(db, secrets.ipSalt);
  // The download gate comes first, ahead of request logging and helmet's dozen headers: it is the route
  // scripts hammer, every URL it issues is already in the audit log with its request id, and a redirect
  // or a JSON answer needs only the headers set here. Errors still go through the error handler (logged
  // there when they are the server's fault). With a bearer token it reads token and file in one round trip.
  app.get(
    '/api/v1/files/:id/download',
    gateHeaders(deps.logger, secure),
    maybeSession,
    downloadRoute(auth, store, { ratePerMinute: config.downloadRateLimit, publicUrl: config.publicUrl }),
  );

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (_req, res) => {
        const id = randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // One short line per request: no headers (so no tokens or cookies to redact), no query, and no per-request
      // serialising of every header, which cost the download path ~10% of its CPU.
      wrapSerializers: false,
      serializers: {
        // The path without its query: a sign-in callback's query carries a one-time code.
        req: (req: express.Request) => ({
          id: req.id,
          method: req.method,
          path: req.originalUrl.split('?')[0],
        }),
        res: (res: express.Response) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/api/v1/health' },
    }),
  );

  // The development IdP is a separate party: mounted before the platform's own headers and session.
  const devIdp = config.oidc.issuer
    ? undefined
    : createDevIdp({
        publicUrl: config.publicUrl,
        env: config.env,
        cookieKey: secrets.devIdpCookieKey,
        clientSecret: secrets.devIdpClientSecret,
      });
  if (devIdp) app.use('/oidc', devIdp.router);

  // Security headers everywhere; the Content-Security-Policy only where HTML is served (the web app),
  // since the API answers JSON and the CSP costs a little on every download.
  app.use(helmet({ contentSecurityPolicy: false, strictTransportSecurity: secure }));
  const csp = helmet.contentSecurityPolicy({
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: [() => ["'self'", ...inlineScriptHashes()].join(' ')],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'", deps.storageOrigin],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
      upgradeInsecureRequests: secure ? [] : null,
    },
  });

  const csrf = csrfGuard(publicOrigin);

  const oidc = config.oidc.issuer
    ? { issuer: config.oidc.issuer, clientId: config.oidc.clientId!, clientSecret: config.oidc.clientSecret }
    : { issuer: devIdp!.issuer, clientId: devIdp!.clientId, clientSecret: devIdp!.clientSecret };
  app.use(
    '/auth',
    sessions,
    csrf,
    oidcRoutes(db, { ...oidc, publicUrl: config.publicUrl, development: !!devIdp }),
  );

  const api = express.Router();
  api.use(express.json({ limit: '100kb', strict: true }));
  api.get('/health', async (_req, res) => {
    res.json({ status: 'ok', db: database.kind, storage: deps.storageKind, version: config.version });
  });
  const openapi = openApiDocument(config.publicUrl, config.version);
  api.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  api.get('/auth/providers', (_req, res) => {
    res.json({
      issuer: oidc.issuer,
      development: !!devIdp,
      demoAccounts: devIdp ? demoAccounts.map(({ email, name, role }) => ({ email, name, role })) : [],
    });
  });
  api.use(maybeSession, csrf, auth.middleware);
  api.use('/me/notifications', notificationsRoutes());
  api.use('/me', meRoutes());
  api.use('/tokens', tokensRoutes(db));
  api.use('/audit', auditRoutes(deps.auditKey));
  api.use('/communities/:slug/audit', communityAuditRoutes(deps.auditKey));
  api.use('/communities/:slug', reportsRoutes(db));
  api.use('/communities', communitiesRoutes());
  api.use(
    '/datasets/:slug/releases',
    releasesRoutes(store, config.uploads, { downloadRatePerMinute: config.downloadRateLimit }),
  );
  api.use('/datasets/:slug/licences', licencesRoutes(config.publicUrl));
  api.use(licenceVocabularyRoutes(config.publicUrl));
  const issuer = { publicUrl: config.publicUrl, signingKey: secrets.signingKey };
  api.use('/datasets/:slug/access-requests', datasetAccessRequestsRoutes(db, issuer));
  api.use('/datasets/:slug/accept', acceptRoute(issuer));
  api.use('/access-requests', accessRequestsRoutes(issuer));
  api.use('/grants/:id/obligations', grantObligationsRoutes());
  api.use('/grants/:id/derived-works', grantDerivedWorksRoutes(store));
  api.use('/grants', grantsRoutes());
  api.use('/obligations', obligationsRoutes(store));
  api.use('/datasets/:slug/derived-works', datasetDerivedWorksRoutes());
  api.use(keysRoute(secrets.signingKey));
  api.use('/catalog', catalogRoutes(config.publicUrl));
  api.use(croissantRoutes(config.publicUrl));
  api.use('/datasets', datasetsRoutes(config.publicUrl));
  api.use(localContextsRoutes());
  api.use('/files', filesRoutes(store, config.uploads));
  api.use(notFoundHandler);
  app.use('/api/v1', api);

  // AI-preference signals for crawlers, at the paths they look at (outside /api/v1).
  app.use(signalsRoutes(db, config.publicUrl));
  // Dataset pages carry their schema.org JSON-LD in the served HTML; every other page is the bare app.
  app.use(csp, datasetPageRoute(db, config.publicUrl), webRoutes());
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
