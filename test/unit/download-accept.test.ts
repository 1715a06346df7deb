import express, { type Request } from 'express';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wantsJson } from '../../api/files/files.routes.ts';

const requestWith = (accept: string | undefined) =>
  Object.setPrototypeOf({ headers: accept === undefined ? {} : { accept } }, express.request) as Request;

// What the download route decided with before (content negotiation on every request).
const negotiated = (req: Request) => !req.accepts('html') && !!req.accepts('json');

describe('wantsJson', () => {
  it('decides exactly as !accepts(html) && accepts(json)', () => {
    const fixed = [
      undefined,
      '',
      '*/*',
      'application/json',
      'text/html',
      'application/json, text/html',
      'text/html;q=0.5, application/json',
      'application/*',
      'text/*',
      'application/json;q=0',
      '*/*;q=0.1, application/json',
      'text/plain',
      'application/problem+json',
    ];
    for (const accept of fixed)
      expect([accept, wantsJson(requestWith(accept))]).toEqual([accept, negotiated(requestWith(accept))]);
    const type = fc.constantFrom(
      '*/*',
      'text/html',
      'application/json',
      'text/*',
      'application/*',
      'text/plain',
      'image/png',
    );
    const part = fc.tuple(type, fc.option(fc.constantFrom('0', '0.1', '0.5', '1'), { nil: undefined }));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        const accept = parts.map(([t, q]) => (q === undefined ? t : `${t};q=${q}`)).join(', ');
        expect(wantsJson(requestWith(accept))).toBe(negotiated(requestWith(accept)));
      }),
      { numRuns: 500 },
    );
  });
});
