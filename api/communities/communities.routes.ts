import { Router } from 'express';
import { requireUser } from '../auth/authenticate.ts';
import { presentCommunity } from './communities.present.ts';
import { AddMember, CommunityParams, CreateCommunity, UpdateCommunity } from './communities.schema.ts';
import {
  addMember,
  createCommunity,
  getCommunity,
  listCommunities,
  listMembers,
  updateCommunity,
} from './communities.service.ts';

export function communitiesRoutes(): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    res.json({ items: (await listCommunities(req.ctx)).map(presentCommunity) });
  });
  r.post('/', requireUser, async (req, res) => {
    const row = await createCommunity(req.ctx, CreateCommunity.parse(req.body));
    res.status(201).json(presentCommunity(row));
  });
  r.get('/:slug', async (req, res) => {
    const { slug } = CommunityParams.parse(req.params);
    res.json(presentCommunity(await getCommunity(req.ctx, slug)));
  });
  // The steward's switches: the public transparency page and reports shared with members.
  r.patch('/:slug', requireUser, async (req, res) => {
    const { slug } = CommunityParams.parse(req.params);
    res.json(presentCommunity(await updateCommunity(req.ctx, slug, UpdateCommunity.parse(req.body))));
  });
  r.get('/:slug/members', requireUser, async (req, res) => {
    const { slug } = CommunityParams.parse(req.params);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ items: await listMembers(req.ctx, slug) });
  });
  r.post('/:slug/members', requireUser, async (req, res) => {
    const { slug } = CommunityParams.parse(req.params);
    const member = await addMember(req.ctx, slug, AddMember.parse(req.body));
    res.status(member.added ? 201 : 200).json(member);
  });
  return r;
}
