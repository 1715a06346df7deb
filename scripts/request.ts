/**
 * `steward request DATASET --purpose CAT --description TEXT [--commercial] [--for-profit] [--outputs TEXT]
 * [--days N] [--answer key=value]... [--team EMAIL]... [--accept] [--token T] [--server URL]`: asks for
 * access to a gated or restricted dataset over the HTTP API, the way the web form does. It reads the
 * licence in force first: without `--accept` it prints the terms and where to read them, and sends
 * nothing (accepting a licence is the requester's explicit act). With it, it submits the request and
 * prints its id, status and the automatic terms match with its reasons.
 *
 * Exit codes: 0 submitted; 1 the server could not be reached or failed; 2 usage; 3 refused (sign-in,
 * token scope, licence not accepted, not requestable, a request already open, a bad answer).
 *
 * An HTTP client only, like `pull`: it imports nothing of the api.
 */
import { parseArgs } from 'node:util';
import { describeTerm } from '../policies/licence-terms.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;

export const requestUsage = `usage: steward request DATASET --purpose CATEGORY --description TEXT [options]
  --purpose CAT       a purpose from the vocabulary (GET /api/v1/purposes), e.g. research, ai-training
  --description TEXT  what you will do with the data
  --commercial        the use is commercial
  --for-profit        your organisation is for-profit
  --outputs TEXT      what you intend to produce (e.g. the model you will train)
  --days N            how long you need access, in days
  --answer KEY=VALUE  an answer to the licence's form (repeat; checkboxes take true or false)
  --team EMAIL        a co-grantee with an account (repeat)
  --accept            you have read the licence in force and accept it
  --token T           an API token with the "request" scope; default $STEWARD_TOKEN
  --server URL        default $STEWARD_SERVER or http://localhost:3000 (--url is the same)
exit codes: 0 submitted, 1 server unreachable or failed, 2 usage, 3 refused`;

class RequestError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

interface Field {
  name: string;
  label: string;
  type: string;
  required?: boolean;
  options?: string[];
}
interface Licence {
  version: number;
  base: string | null;
  text: string;
  purposes: string[];
  prohibitions: string[];
  reciprocity: { kind: string; timing: string; dueDays?: number; everyMonths?: number; evidence?: string }[];
  fields: Field[];
}

interface Options {
  slug: string;
  purpose: string;
  description: string;
  commercial: boolean;
  forProfit: boolean;
  outputs?: string;
  days?: number;
  answers: [string, string][];
  team: string[];
  accept: boolean;
  token?: string;
  server: string;
}

function parse(argv: string[], env: NodeJS.ProcessEnv): Options {
  const options = {
    purpose: { type: 'string' },
    description: { type: 'string' },
    commercial: { type: 'boolean' },
    'for-profit': { type: 'boolean' },
    outputs: { type: 'string' },
    days: { type: 'string' },
    answer: { type: 'string', multiple: true },
    team: { type: 'string', multiple: true },
    accept: { type: 'boolean' },
    token: { type: 'string' },
    server: { type: 'string' },
    url: { type: 'string' },
  } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true });
  } catch (err) {
    throw new RequestError(EXIT.usage, `${(err as Error).message}\n${requestUsage}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new RequestError(EXIT.usage, requestUsage);
  const slug = positionals[0];
  if (!/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(slug))
    throw new RequestError(EXIT.usage, `"${slug}" is not a dataset name\n${requestUsage}`);
  if (!values.purpose || !values.description)
    throw new RequestError(EXIT.usage, `request needs --purpose and --description\n${requestUsage}`);
  let days: number | undefined;
  if (values.days !== undefined) {
    days = Number(values.days);
    if (!Number.isInteger(days) || days < 1)
      throw new RequestError(EXIT.usage, '--days takes a whole number of days, e.g. 90');
  }
  const answers = (values.answer ?? []).map((a): [string, string] => {
    const i = a.indexOf('=');
    if (i < 1) throw new RequestError(EXIT.usage, `--answer takes KEY=VALUE (got "${a}")`);
    return [a.slice(0, i).trim(), a.slice(i + 1)];
  });
  const server = (values.server ?? values.url ?? env.STEWARD_SERVER ?? 'http://localhost:3000').replace(
    /\/+$/,
    '',
  );
  try {
    new URL(server);
  } catch {
    throw new RequestError(EXIT.usage, `--server "${server}" is not a URL`);
  }
  return {
    slug,
    purpose: values.purpose,
    description: values.description,
    commercial: !!values.commercial,
    forProfit: !!values['for-profit'],
    outputs: values.outputs,
    days,
    answers,
    team: values.team ?? [],
    accept: !!values.accept,
    token: values.token ?? (env.STEWARD_TOKEN || undefined),
    server,
  };
}

async function call(o: Options, path: string, init: { method?: string; json?: unknown } = {}) {
  try {
    return await fetch(`${o.server}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      },
      body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    });
  } catch (err) {
    throw new RequestError(
      EXIT.failed,
      `cannot reach ${o.server}: ${(err as Error).cause ?? (err as Error).message}`,
    );
  }
}

interface Problem {
  code?: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/** A refusal, in words that say what to do next. */
function refusal(o: Options, status: number, p: Problem): RequestError {
  if (status === 401)
    return new RequestError(
      EXIT.refused,
      o.token
        ? 'The server did not accept the token (expired, revoked or mistyped). Create a new one: steward tokens create --user EMAIL --scopes read,request'
        : 'Sign in first: pass --token or set STEWARD_TOKEN (a token with the "request" scope).',
    );
  // A policy refusal of the act itself is `forbidden`; with a token, most often a missing scope. Other
  // 403s name their reason (e.g. a tier that takes no requests): say what the server said.
  if (status === 403 && p.code === 'forbidden' && o.token)
    return new RequestError(
      EXIT.refused,
      `${p.detail ?? 'Refused.'} If your token lacks the "request" scope, create one with: steward tokens create --user EMAIL --scopes read,request`,
    );
  if (status === 404)
    return new RequestError(
      EXIT.refused,
      `No dataset "${o.slug}" that you can see.${o.token ? '' : ' If it is not public, pass --token or set STEWARD_TOKEN.'}`,
    );
  const detail = [
    p.detail ?? `the server answered ${status}`,
    ...(p.errors ?? []).map((e) => `  ${e.path}: ${e.message}`),
  ];
  if (status >= 500)
    return new RequestError(EXIT.failed, `${detail.join('\n')}${p.code ? ` (${p.code})` : ''}`);
  return new RequestError(EXIT.refused, `${detail.join('\n')}${p.code ? ` (${p.code})` : ''}`);
}

/** Answers typed on the command line, in the type of their field (a checkbox is true or false). */
function typedAnswers(fields: Field[], answers: [string, string][]) {
  const out: Record<string, unknown> = {};
  for (const [key, value] of answers) {
    const f = fields.find((x) => x.name === key);
    if (f?.type === 'checkbox') {
      if (!/^(true|false|yes|no)$/i.test(value))
        throw new RequestError(EXIT.usage, `--answer ${key} is a checkbox: give true or false`);
      out[key] = /^(true|yes)$/i.test(value);
    } else out[key] = value;
  }
  return out;
}

function termsText(l: Licence) {
  const lines = [`Licence version ${l.version}${l.base ? ` (${l.base})` : ''}`];
  if (l.purposes.length) lines.push(`  permitted purposes: ${l.purposes.join(', ')}`);
  if (l.prohibitions.length) lines.push(`  prohibited: ${l.prohibitions.join(', ')}`);
  for (const t of l.reciprocity) lines.push(`  you undertake to: ${describeTerm(t)}`);
  for (const f of l.fields)
    lines.push(
      `  question ${f.name}${f.required ? ' (required)' : ''}: ${f.label}${f.options ? ` [${f.options.join(' | ')}]` : ''}`,
    );
  return lines.join('\n');
}

/** Runs `steward request`; returns the exit code. */
export async function request(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  try {
    const o = parse(argv, env);
    const say = (line: string) => out.write(`${line}\n`);
    const page = await call(o, `/datasets/${o.slug}`);
    if (!page.ok) throw refusal(o, page.status, await page.json().catch(() => ({})));
    const d = (await page.json()) as { title: string; tier: string; licence: { version: number } | null };
    if (d.tier !== 'gated' && d.tier !== 'restricted')
      throw new RequestError(
        EXIT.refused,
        d.tier === 'open'
          ? `"${o.slug}" is open: download it without a request (steward pull ${o.slug}).`
          : d.tier === 'registered'
            ? `"${o.slug}" needs no request: accept its licence on ${o.server}/datasets/${o.slug}, then steward pull ${o.slug}.`
            : `"${o.slug}" takes no access requests.`,
      );
    if (!d.licence)
      throw new RequestError(
        EXIT.refused,
        `"${o.slug}" has no licence in force yet: nothing can be requested.`,
      );
    const termsUrl = `${o.server}/datasets/${o.slug}`;
    const licenceUrl = `${o.server}/api/v1/datasets/${o.slug}/licences/${d.licence.version}`;
    const lr = await call(o, `/datasets/${o.slug}/licences/${d.licence.version}`);
    if (!lr.ok) throw refusal(o, lr.status, await lr.json().catch(() => ({})));
    const l = (await lr.json()) as Licence;
    if (!o.accept)
      throw new RequestError(
        EXIT.refused,
        `${termsText(l)}\n\nNothing was sent: you have not accepted the licence of "${o.slug}".\n` +
          `Read the terms at ${termsUrl} (or ${licenceUrl}), then run the same command with --accept.`,
      );
    const res = await call(o, `/datasets/${o.slug}/access-requests`, {
      method: 'POST',
      json: {
        purpose: {
          category: o.purpose,
          description: o.description,
          commercial: o.commercial,
          forProfit: o.forProfit,
        },
        ...(o.outputs !== undefined ? { intendedOutputs: o.outputs } : {}),
        ...(o.days !== undefined ? { requestedDays: o.days } : {}),
        answers: typedAnswers(l.fields, o.answers),
        team: o.team,
        licenceVersion: l.version,
      },
    });
    const body = (await res.json().catch(() => ({}))) as Problem & {
      id?: string;
      status?: string;
      match?: { result: string; reasons: string[] };
      grant?: { id: string } | null;
    };
    if (res.status === 409 && body.code === 'licence_version_not_current')
      throw new RequestError(
        EXIT.refused,
        `The licence changed while you were reading it. Read the new terms at ${termsUrl} and run again with --accept.`,
      );
    if (!res.ok) throw refusal(o, res.status, body);
    say(`request ${body.id}`);
    say(`status: ${body.status}`);
    say(`licence version ${l.version} accepted`);
    say(`terms match: ${body.match?.result ?? 'unknown'}`);
    for (const r of body.match?.reasons ?? []) say(`  - ${r}`);
    if (body.grant) say(`grant ${body.grant.id}: download with steward pull ${o.slug}`);
    else say(`follow it: ${o.server}/api/v1/access-requests/${body.id}`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof RequestError) {
      err.write(`${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
