import type { z } from 'zod';
import { badRequest } from './errors.ts';

/** An opaque page cursor: the page's last sort key as base64url JSON (clients pass it back unread). */
export const encodeCursor = (key: unknown): string => Buffer.from(JSON.stringify(key)).toString('base64url');

/**
 * The sort key inside a cursor, checked against `schema`; anything else — not base64url JSON, the wrong
 * shape, a time PostgreSQL refuses — is 400 `invalid_cursor`, never a database error.
 */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.infer<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    throw invalidCursor();
  }
  const c = schema.safeParse(parsed);
  if (!c.success) throw invalidCursor();
  return c.data;
}

export const invalidCursor = () => badRequest('invalid_cursor', 'The cursor is not one this API gave out.');
