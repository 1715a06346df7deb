import { createHash } from 'node:crypto';

type Api = (path: string, init?: RequestInit & { token?: string; json?: unknown }) => Promise<Response>;

export interface FileSpec {
  name: string;
  body: Buffer | string;
  tier?: 'open' | 'registered' | 'gated' | 'restricted' | 'closed';
  mediaType?: string;
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function ok(res: Response, what: string) {
  if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * Through the API as a steward: the dataset (created on first use), a release with `files` uploaded by
 * their signed PUTs and verified, then the release and the dataset published unless told otherwise.
 * Returns the release's JSON and the registered files by name.
 */
export async function publishRelease(
  api: Api,
  token: string,
  opts: {
    community: string;
    slug: string;
    tier: FileSpec['tier'];
    tag: string;
    files: FileSpec[];
    publishRelease?: boolean;
    publishDataset?: boolean;
  },
) {
  const created = await api('/datasets', {
    method: 'POST',
    token,
    json: { community: opts.community, slug: opts.slug, title: `Dataset ${opts.slug}`, tier: opts.tier },
  });
  if (created.status !== 201 && created.status !== 409) await ok(created, 'create dataset');
  await ok(
    await api(`/datasets/${opts.slug}/releases`, { method: 'POST', token, json: { tag: opts.tag } }),
    'create release',
  );
  const ids: Record<string, string> = {};
  for (const f of opts.files) {
    const body = typeof f.body === 'string' ? Buffer.from(f.body) : f.body;
    const reg = await ok(
      await api(`/datasets/${opts.slug}/releases/${opts.tag}/files`, {
        method: 'POST',
        token,
        json: {
          name: f.name,
          size: body.length,
          sha256: sha256(body),
          mediaType: f.mediaType ?? 'application/octet-stream',
          tier: f.tier,
        },
      }),
      `register ${f.name}`,
    );
    const put = await fetch(reg.upload.url, {
      method: 'PUT',
      headers: reg.upload.headers,
      body: new Uint8Array(body),
    });
    if (!put.ok) throw new Error(`upload ${f.name}: ${put.status}`);
    await ok(await api(`/files/${reg.id}/complete`, { method: 'POST', token }), `complete ${f.name}`);
    ids[f.name] = reg.id;
  }
  if (opts.publishRelease !== false)
    await ok(
      await api(`/datasets/${opts.slug}/releases/${opts.tag}/publish`, { method: 'POST', token }),
      'publish release',
    );
  if (opts.publishDataset !== false) {
    const pub = await api(`/datasets/${opts.slug}/publish`, { method: 'POST', token });
    if (pub.status !== 200 && pub.status !== 409) await ok(pub, 'publish dataset');
  }
  return { ids };
}
