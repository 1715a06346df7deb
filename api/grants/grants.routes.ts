import { Router } from 'express';
import { requireUser } from '../auth/authenticate.ts';
import { UuidParam } from '../common.schema.ts';
import { DatasetParams } from '../datasets/datasets.schema.ts';
import { notFound } from '../errors.ts';
import type { SigningKey } from '../instance.ts';
import type { GrantIssuer } from './grants.agreement.ts';
import { presentGrant } from './grants.present.ts';
import { AcceptLicence, GrantAct, ListGrants, RenewGrant } from './grants.schema.ts';
import { acceptLicence, actOnGrant, listGrants, loadGrant } from './grants.service.ts';

/** Mounted at `/grants`. */
export function grantsRoutes(): Router {
  const r = Router();
  r.get('/', requireUser, async (req, res) => {
    const rows = await listGrants(req.ctx, ListGrants.parse(req.query));
    res.json({ items: rows.map((g) => presentGrant(req.ctx.ability, g)) });
  });
  r.get('/:id', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    res.json(presentGrant(req.ctx.ability, await loadGrant(req.ctx, id)));
  });
  // The signed ODRL Agreement: the JWS payload as JSON-LD, with the JWS itself and its SHA-256 beside it.
  // `Accept: application/jose` answers the compact JWS alone.
  r.get('/:id/odrl.jsonld', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const { row } = await loadGrant(req.ctx, id);
    const jws = row.grant.agreementJws;
    if (!jws) throw notFound('agreement');
    if (req.accepts(['application/ld+json', 'application/jose']) === 'application/jose')
      return void res.type('application/jose').send(jws);
    const payload = JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8'));
    res
      .type('application/ld+json')
      .send(
        JSON.stringify(
          { ...payload, 'steward:signature': { jws, sha256: row.grant.agreementHash, keys: '/api/v1/keys' } },
          null,
          2,
        ),
      );
  });
  for (const action of ['suspend', 'reinstate', 'revoke', 'renew'] as const)
    r.post(`/:id/${action}`, requireUser, async (req, res) => {
      const { id } = UuidParam.parse(req.params);
      const body = action === 'renew' ? RenewGrant.parse(req.body ?? {}) : GrantAct.parse(req.body ?? {});
      res.json(presentGrant(req.ctx.ability, await actOnGrant(req.ctx, id, action, body)));
    });
  return r;
}

/** `POST /datasets/:slug/accept`: the click-through of a `registered` dataset's licence. */
export function acceptRoute(issuer: GrantIssuer): Router {
  const r = Router({ mergeParams: true });
  r.post('/', requireUser, async (req, res) => {
    const { slug } = DatasetParams.parse(req.params);
    const { licenceVersion } = AcceptLicence.parse(req.body ?? {});
    const { grantId, created } = await acceptLicence(req.ctx, issuer, slug, licenceVersion);
    res
      .status(created ? 201 : 200)
      .location(`/api/v1/grants/${grantId}`)
      .json(presentGrant(req.ctx.ability, await loadGrant(req.ctx, grantId)));
  });
  return r;
}

/** `GET /keys`: the instance's public signing keys as a JWK Set (verifies grant Agreements). */
export function keysRoute(key: SigningKey): Router {
  const r = Router();
  r.get('/keys', (_req, res) => {
    res.json({ keys: [key.publicJwk] });
  });
  return r;
}
