import { Router } from 'express';
import { describeMe } from './me.service.ts';

/** `GET /me`: the caller, their memberships and their packed CASL rules (anonymous too, with user null). */
export function meRoutes(): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    res.json(await describeMe(req.ctx));
  });
  return r;
}
