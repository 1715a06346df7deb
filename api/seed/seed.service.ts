import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import { type Actor, defineAbilityFor } from '../../policies/index.ts';
import { type AuditCtx, record, systemCtx } from '../audit/audit.ts';
import { demoAccounts } from '../auth/demo-accounts.ts';
import * as communitiesRepo from '../communities/communities.repo.ts';
import * as datasetsRepo from '../datasets/datasets.repo.ts';
import * as filesRepo from '../files/files.repo.ts';
import { claimFlag } from '../instance.ts';
import { parseLicence } from '../licences/licences.schema.ts';
import { createLicence } from '../licences/licences.service.ts';
import { licenceTemplates } from '../licences/licences.templates.ts';
import * as releasesRepo from '../releases/releases.repo.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { ensureUser } from '../users/users.service.ts';

interface DemoFile {
  name: string;
  mediaType: string;
  body: string;
  tier?: 'open';
}
interface DemoDataset {
  slug: string;
  title: string;
  summary: string;
  description: string;
  tier: 'open' | 'registered' | 'gated' | 'restricted' | 'closed';
  keywords: string[];
  languages: string[];
  files: DemoFile[];
  /** The licence template its first licence version is made from. */
  licence: string;
}

const words =
  ['word,gloss,audio', 'kai,food,', 'wai,water,', 'whenua,land,', 'awa,river,', 'maunga,mountain,'].join(
    '\n',
  ) + '\n';

const demoDatasets: DemoDataset[] = [
  {
    slug: 'demo-word-list',
    title: 'Community word list',
    summary: 'A small open word list with English glosses, shared for anyone to use with attribution.',
    description: 'Collected by the demo language collective in 2025.\nEach row is a headword and its gloss.',
    tier: 'open',
    keywords: ['language', 'lexicon', 'open'],
    languages: ['mi', 'en'],
    files: [{ name: 'words.csv', mediaType: 'text/csv', body: words }],
    licence: 'open-attribution',
  },
  {
    slug: 'demo-oral-histories',
    title: 'Oral histories (transcripts)',
    summary: 'Transcribed oral histories; access by request for research, with an open sample.',
    description:
      'Elders’ recorded stories, transcribed and reviewed by the community.\nThe sample file is open.',
    tier: 'gated',
    keywords: ['oral history', 'speech', 'transcripts'],
    languages: ['mi'],
    files: [
      { name: 'sample.txt', mediaType: 'text/plain', body: 'He kōrero tenei mō te awa.\n', tier: 'open' },
      {
        name: 'transcripts.txt',
        mediaType: 'text/plain',
        body: 'Full transcripts (demo content).\n'.repeat(20),
      },
    ],
    licence: 'community-consent',
  },
  {
    slug: 'demo-river-readings',
    title: 'River water-quality readings',
    summary:
      'Monthly water-quality readings from community monitors; open to signed-in users who accept the licence.',
    description: 'Temperature, turbidity and nitrate readings at five sites.',
    tier: 'registered',
    keywords: ['environment', 'water quality'],
    languages: ['en'],
    files: [
      {
        name: 'readings.csv',
        mediaType: 'text/csv',
        body: 'site,month,temp_c,ntu\nA,2025-01,14.2,3.1\nB,2025-01,15.0,2.7\n',
      },
    ],
    licence: 'non-commercial-research',
  },
];

/**
 * Seeds the demo community, its people and a few datasets, once per database: the flag and the data
 * commit together, so a failed seed is retried at the next start and a finished one never repeats.
 */
export async function seedDemo(db: Db, store: ObjectStore): Promise<boolean> {
  const ctx: AuditCtx = systemCtx('seed');
  return db.transaction(async (tx) => {
    if (!(await claimFlag(tx, 'seed.demo.done'))) return false;
    const people = new Map<string, string>();
    for (const a of demoAccounts) {
      const { user } = await ensureUser(tx, ctx, { email: a.email, name: a.name, isAdmin: a.id === 'admin' });
      people.set(a.id, user.id);
    }
    const community = await communitiesRepo.insert(tx, {
      slug: 'demo-collective',
      name: 'Demo Language Collective',
      description: 'A demonstration community that stewards language and environmental data.',
    });
    if (!community) throw new Error('the demo community exists already, but the seed flag was not set');
    await record(tx, ctx, 'community.created', {
      subjectType: 'Community',
      subjectId: community.id,
      communityId: community.id,
      details: { slug: community.slug, seed: true },
    });
    for (const [id, role] of [
      ['steward', 'steward'],
      ['reviewer', 'reviewer'],
      ['auditor', 'auditor'],
    ] as const) {
      const userId = people.get(id)!;
      await communitiesRepo.addMembership(tx, community.id, userId, role);
      await record(tx, ctx, 'member.added', {
        subjectType: 'Membership',
        subjectId: `${community.id}:${userId}:${role}`,
        communityId: community.id,
        details: { userId, role },
      });
    }
    // Licences are written through the licence service, as the steward would, recorded as the seed's acts.
    const stewardActor: Actor = {
      kind: 'user',
      userId: people.get('steward')!,
      isAdmin: false,
      memberships: [{ communityId: community.id, role: 'steward' }],
    };
    const stewardCtx = {
      ...ctx,
      actor: stewardActor,
      ability: defineAbilityFor(stewardActor),
      db: tx,
      now: new Date(),
      ipHash: null,
    };
    for (const spec of demoDatasets) {
      const d = await datasetsRepo.insert(tx, {
        communityId: community.id,
        slug: spec.slug,
        title: spec.title,
        summary: spec.summary,
        description: spec.description,
        tier: spec.tier,
        keywords: spec.keywords,
        languages: spec.languages,
        status: 'published',
        publishedAt: new Date(),
        createdBy: people.get('steward'),
      });
      if (!d) throw new Error(`dataset ${spec.slug} exists already`);
      const where = { communityId: community.id, datasetId: d.id };
      await record(tx, ctx, 'dataset.created', {
        subjectType: 'Dataset',
        subjectId: d.id,
        ...where,
        details: { slug: d.slug, tier: d.tier, seed: true },
      });
      const r = await releasesRepo.insert(tx, {
        datasetId: d.id,
        tag: 'v1',
        status: 'published',
        publishedAt: new Date(),
      });
      for (const f of spec.files) {
        const id = randomUUID();
        const storageKey = `datasets/${d.id}/releases/${r.id}/${id}`;
        const bytes = Buffer.from(f.body);
        await store.put(storageKey, bytes, f.mediaType);
        const row = await filesRepo.insert(tx, {
          id,
          releaseId: r.id,
          name: f.name,
          size: bytes.length,
          mediaType: f.mediaType,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          storageKey,
          tier: f.tier ?? null,
          status: 'available',
          completedAt: new Date(),
        });
        await record(tx, ctx, 'file.completed', {
          subjectType: 'File',
          subjectId: row.id,
          ...where,
          details: { name: row.name, size: row.size, sha256: row.sha256, seed: true },
        });
      }
      await record(tx, ctx, 'release.published', {
        subjectType: 'Release',
        subjectId: r.id,
        ...where,
        details: { tag: r.tag, files: spec.files.length, seed: true },
      });
      await record(tx, ctx, 'dataset.published', {
        subjectType: 'Dataset',
        subjectId: d.id,
        ...where,
        details: { slug: d.slug, seed: true },
      });
      const template = licenceTemplates.find((t) => t.id === spec.licence)!;
      await createLicence(stewardCtx, d.slug, parseLicence(template.licence));
    }
    return true;
  });
}
