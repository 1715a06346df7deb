import { Router } from 'express';
import { requireUser } from '../auth/authenticate.ts';
import { UuidParam } from '../common.schema.ts';
import { presentNotification } from './notifications.present.ts';
import { ListNotifications } from './notifications.schema.ts';
import { listNotifications, markAllRead, markRead } from './notifications.service.ts';

/** Mounted at `/me/notifications`: the caller's inbox. */
export function notificationsRoutes(): Router {
  const r = Router();
  r.use(requireUser);
  r.get('/', async (req, res) => {
    const page = await listNotifications(req.ctx, ListNotifications.parse(req.query));
    res.json({ ...page, items: page.items.map((n) => presentNotification(req.ctx.ability, n)) });
  });
  r.post('/read-all', async (req, res) => {
    res.json(await markAllRead(req.ctx));
  });
  r.post('/:id/read', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    res.json(presentNotification(req.ctx.ability, await markRead(req.ctx, id)));
  });
  return r;
}
