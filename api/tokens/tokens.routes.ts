import { Router } from 'express';
import type { Db } from '../../db/index.ts';
import { requireUser } from '../auth/authenticate.ts';
import { rateLimit } from '../middleware/rate-limit.ts';
import { presentToken } from './tokens.present.ts';
import { CreateToken, TokenParams } from './tokens.schema.ts';
import { createToken, deleteToken, listTokens } from './tokens.service.ts';

export function tokensRoutes(db: Db): Router {
  const r = Router();
  r.use(requireUser);
  r.get('/', async (req, res) => {
    res.json({ items: (await listTokens(req.ctx)).map(presentToken) });
  });
  r.post(
    '/',
    rateLimit(db, {
      name: 'token-create',
      limit: 20,
      windowSeconds: 3600,
      key: (req) => (req.ctx.actor as { userId?: string }).userId ?? req.ip ?? '',
    }),
    async (req, res) => {
      const { row, token } = await createToken(req.ctx, CreateToken.parse(req.body ?? {}));
      // The only time the secret leaves the server.
      res.status(201).json({ ...presentToken(row), token });
    },
  );
  r.delete('/:id', async (req, res) => {
    const { id } = TokenParams.parse(req.params);
    await deleteToken(req.ctx, id);
    res.status(204).end();
  });
  return r;
}
