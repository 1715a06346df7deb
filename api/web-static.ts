import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

export const webBuildDir = resolve(dirname(fileURLToPath(import.meta.url)), '../web/build');

let cached: { mtimeMs: number; hashes: string[] } | undefined;

/**
 * The sha256 CSP sources of the inline scripts in the built index.html (SvelteKit's SPA bootstrap),
 * recomputed when the file changes, so a rebuild does not need a restart.
 */
export function inlineScriptHashes(dir = webBuildDir): string[] {
  const index = resolve(dir, 'index.html');
  if (!existsSync(index)) return [];
  const { mtimeMs } = statSync(index);
  if (cached?.mtimeMs === mtimeMs) return cached.hashes;
  const html = readFileSync(index, 'utf8');
  const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`,
  );
  cached = { mtimeMs, hashes };
  return hashes;
}

let indexCache: { mtimeMs: number; html: string } | undefined;

/** The built index.html with `head` added before `</head>`; undefined when the web app is not built. */
export function indexHtmlWith(head: string, dir = webBuildDir): string | undefined {
  const index = resolve(dir, 'index.html');
  if (!existsSync(index)) return undefined;
  const { mtimeMs } = statSync(index);
  if (indexCache?.mtimeMs !== mtimeMs) indexCache = { mtimeMs, html: readFileSync(index, 'utf8') };
  return indexCache.html.replace('</head>', `${head}</head>`);
}

/** Serves the built web app, with `index.html` for every non-API path (client-side routing). */
export function webRoutes(dir = webBuildDir): Router {
  const r = express.Router();
  const index = resolve(dir, 'index.html');
  r.use(express.static(dir, { index: false, maxAge: '1h', immutable: false }));
  r.get('/{*splat}', (req, res, next) => {
    if (!req.accepts('html')) return next();
    if (!existsSync(index)) {
      res
        .status(503)
        .type('text')
        .send('The web app is not built: run `npm run build:web` (npm ci does it for you).');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return r;
}
