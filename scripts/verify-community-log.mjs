#!/usr/bin/env node
// Standalone verifier of one community's share of a Steward audit log. Plain Node (≥ 18), no
// dependencies and nothing from the project, so a community can read it through and run it alone.
//
//   node verify-community-log.mjs EXPORT.json --public-key BASE64 [--key-name NAME]
//
// EXPORT.json is what `GET /api/v1/communities/:slug/audit` answers (pages merged: all `items`,
// one `checkpoint`; follow nextCursor, which keeps every page on the same checkpoint). Give the
// public key you obtained out of band (from the instance operator, or saved from an earlier
// checkpoint): a key taken from the export itself proves only that the export is self-consistent.
//
// It checks: the checkpoint is a C2SP signed note by that key over (size, root); every event hashes
// (RFC 8785 canonical JSON, SHA-256 with the RFC 6962 leaf prefix 0x00) to its stated hash; every
// inclusion proof places that hash at its leaf index under the signed root (RFC 9162 §2.1.3.2);
// no leaf index appears twice. Exit 0 when all holds; exit 1 naming the first event that does not.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const KEYS = [
  'action',
  'actorId',
  'actorIpHash',
  'actorTokenId',
  'actorType',
  'at',
  'communityId',
  'datasetId',
  'details',
  'purpose',
  'requestId',
  'seq',
  'subjectId',
  'subjectType',
];

/** RFC 8785: ES number and string serialisation, object keys sorted by UTF-16 code units. */
function canonical(v) {
  if (v === null || typeof v === 'boolean') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('non-finite number');
    return JSON.stringify(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const keys = Object.keys(v)
    .filter((k) => v[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
}

const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const leafHash = (text) => sha256(Buffer.from([0]), Buffer.from(text, 'utf8'));
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);

/** The event's hash: every one of the fourteen fields, missing ones as null. */
function eventHash(event) {
  const e = {};
  for (const k of KEYS) e[k] = event[k] ?? null;
  return leafHash(canonical(e));
}

function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** C2SP signed note: text, blank line, "— name base64(keyID(4) || Ed25519 signature)". */
function checkNote(note, name, publicKey, size, root) {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return 'the checkpoint is not a signed note';
  const text = note.slice(0, split + 1);
  if (text !== `${name}\n${size}\n${root.toString('base64')}\n`)
    return 'the note does not state this size and root';
  const keyId = sha256(Buffer.from(`${name}\n`), Buffer.from([1]), publicKey).subarray(0, 4);
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') },
    format: 'jwk',
  });
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^— (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const sig = Buffer.from(m[2], 'base64');
    if (sig.length !== 68 || !sig.subarray(0, 4).equals(keyId)) continue;
    return verify(null, Buffer.from(text), key, sig.subarray(4))
      ? undefined
      : 'the checkpoint signature does not verify';
  }
  return 'the checkpoint carries no signature by this key';
}

function main(argv) {
  const file = argv.find((a) => !a.startsWith('--') && !argv[argv.indexOf(a) - 1]?.startsWith('--'));
  const opt = (n) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
  if (!file) {
    console.error('usage: node verify-community-log.mjs EXPORT.json --public-key BASE64 [--key-name NAME]');
    return 2;
  }
  const data = JSON.parse(readFileSync(file, 'utf8'));
  const cp = data.checkpoint;
  if (!cp) {
    console.error('the export has no checkpoint');
    return 1;
  }
  let pk = opt('--public-key');
  if (!pk) {
    console.warn('warning: no --public-key given; trusting the key inside the export');
    pk = cp.publicKey;
  }
  const name = opt('--key-name') ?? cp.keyName;
  const root = Buffer.from(cp.root, 'hex');
  const why = checkNote(cp.note, name, Buffer.from(pk, 'base64'), cp.size, root);
  if (why) {
    console.error(`FAILED: checkpoint ${cp.size}: ${why}`);
    return 1;
  }
  const seen = new Set();
  for (const item of data.items) {
    const at = `leaf ${item.leafIndex} (event seq ${item.event?.seq}, ${item.event?.action})`;
    if (seen.has(item.leafIndex)) return fail(`${at}: the leaf appears twice`);
    seen.add(item.leafIndex);
    const h = eventHash(item.event);
    if (h.toString('hex') !== item.hash) return fail(`${at}: the event does not hash to its stated hash`);
    const proof = item.proof.map((p) => Buffer.from(p, 'hex'));
    if (!verifyInclusion(item.leafIndex, cp.size, h, proof, root))
      return fail(`${at}: not included in the signed checkpoint of size ${cp.size}`);
  }
  console.log(`OK: ${data.items.length} events included in checkpoint ${cp.size} signed by ${name}`);
  return 0;
}

function fail(message) {
  console.error(`FAILED: first bad event: ${message}`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
