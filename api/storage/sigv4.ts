import { createHmac, hash } from 'node:crypto';

/** RFC 3986 encoding, as SigV4 expects it. */
export const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface PresignInput {
  method: 'GET' | 'PUT';
  /** `host[:port]`, as the client will send it. */
  host: string;
  /** Already encoded, as sent (S3 signs the path single-encoded). */
  path: string;
  /** Extra query parameters (e.g. `response-content-disposition`); signed. */
  query: Record<string, string>;
  /**
   * Headers signed besides `host` (lower-case names), e.g. `content-length` so that the store refuses a
   * body of any other size. The client must send them with exactly these values.
   */
  headers?: Record<string, string>;
  region: string;
  service: string;
  accessKeyId: string;
  secretAccessKey: string;
  expiresIn: number;
  now: Date;
}

// One-shot hashing (node:crypto `hash`, Node ≥ 20.12): no Hash object per call.
const sha256hex = (s: string) => hash('sha256', s, 'hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

let keyCache: { id: string; key: Buffer } | undefined;

/** `YYYYMMDDTHHMMSSZ` without a regular expression (this runs on every download); the last one is kept. */
let lastDate: { s: number; text: string } = { s: Number.NaN, text: '' };
const amzDateOf = (d: Date) => {
  const sec = Math.floor(d.getTime() / 1000);
  if (sec === lastDate.s) return lastDate.text;
  const p = (n: number) => (n < 10 ? `0${n}` : String(n));
  const text = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  lastDate = { s: sec, text };
  return text;
};

/** The encoded names of the query parameters SigV4 adds (constants, so encoded once). */
const ALGORITHM = `${encode('X-Amz-Algorithm')}=${encode('AWS4-HMAC-SHA256')}`;
const CONTENT_SHA256 = `${encode('x-amz-content-sha256')}=${encode('UNSIGNED-PAYLOAD')}`;

/**
 * AWS Signature Version 4, query-string ("presigned URL") form, for a request whose signed headers are
 * `host` (and the `headers` given, e.g. `content-length`) and whose payload is `UNSIGNED-PAYLOAD` —
 * exactly what `@smithy/signature-v4`'s `presign` produces for our requests (a property test holds the
 * two equal). Written out because the download path
 * signs on every request and the generic signer spent ~10% of that path's CPU on promises and copies.
 * Returns the canonical query string (sorted, RFC 3986-encoded: send it as is) and the signature.
 */
export function presignV4Query(i: PresignInput): { canonicalQuery: string; signature: string } {
  const amzDate = amzDateOf(i.now);
  let signedHeaders = 'host';
  let canonicalHeaders = `host:${i.host.trim()}\n`;
  if (i.headers) {
    const signed: Record<string, string> = { ...i.headers, host: i.host };
    const names = Object.keys(signed).sort();
    signedHeaders = names.join(';');
    canonicalHeaders = names.map((n) => `${n}:${signed[n].trim()}\n`).join('');
  }
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${i.region}/${i.service}/aws4_request`;
  // Sorted by name: the five X-Amz-* (upper-case X sorts first) are already in order; the caller's
  // parameters and the lower-case x-amz-content-sha256 are merged in after them, as a sort would.
  const added = [
    ALGORITHM,
    `X-Amz-Credential=${encode(`${i.accessKeyId}/${scope}`)}`,
    `X-Amz-Date=${amzDate}`,
    `X-Amz-Expires=${i.expiresIn}`,
    `X-Amz-SignedHeaders=${encode(signedHeaders)}`,
  ];
  const names = Object.keys(i.query);
  let canonicalQuery: string;
  if (names.length === 0) canonicalQuery = `${added.join('&')}&${CONTENT_SHA256}`;
  else {
    const all: [string, string][] = names.map((k) => [k, `${encode(k)}=${encode(i.query[k])}`]);
    all.push(
      ['X-Amz-Algorithm', added[0]],
      ['X-Amz-Credential', added[1]],
      ['X-Amz-Date', added[2]],
      ['X-Amz-Expires', added[3]],
      ['X-Amz-SignedHeaders', added[4]],
      ['x-amz-content-sha256', CONTENT_SHA256],
    );
    all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    canonicalQuery = all.map((kv) => kv[1]).join('&');
  }
  const canonicalRequest = `${i.method}\n${i.path}\n${canonicalQuery}\n${canonicalHeaders}\n${signedHeaders}\nUNSIGNED-PAYLOAD`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256hex(canonicalRequest)}`;
  const keyId = `${i.secretAccessKey}|${scope}`;
  if (keyCache?.id !== keyId) {
    const kDate = hmac(`AWS4${i.secretAccessKey}`, day);
    keyCache = { id: keyId, key: hmac(hmac(hmac(kDate, i.region), i.service), 'aws4_request') };
  }
  return { canonicalQuery, signature: createHmac('sha256', keyCache.key).update(stringToSign).digest('hex') };
}

/** `presignV4Query` as the query parameters to send, `X-Amz-Signature` included. */
export function presignV4(i: PresignInput): Record<string, string> {
  const { canonicalQuery, signature } = presignV4Query(i);
  const query = Object.fromEntries(
    canonicalQuery.split('&').map((kv) => kv.split('=').map(decodeURIComponent) as [string, string]),
  );
  query['X-Amz-Signature'] = signature;
  return query;
}
