import { z } from 'zod';
import { AppError } from './errors.ts';

/** URL-safe identifiers chosen by people: lowercase letters, digits and inner hyphens. */
export const Slug = z
  .string()
  .trim()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'use 1–64 lowercase letters, digits and inner hyphens');

export const Email = z.string().trim().toLowerCase().pipe(z.email()).pipe(z.string().max(254));

export const Tier = z.enum(['open', 'registered', 'gated', 'restricted', 'closed']);

export const UuidParam = z.object({ id: z.uuid({ message: 'not a valid id' }) });

/** A link a person gives (evidence, a derived work): http or https only, never `javascript:` or `data:`. */
export const WebUrl = z
  .string()
  .trim()
  .max(2000)
  .pipe(z.url({ protocol: /^https?$/, message: 'use an http:// or https:// address' }));

/**
 * A timestamp inside an opaque paging cursor: an ISO 8601 UTC date-time (`…Z`, any fraction) that is a
 * real calendar date and time (no 2024-02-30 or 25:00) and that PostgreSQL's timestamptz accepts (no
 * year 0000). A cursor that fails it is a 400, never a database error.
 */
export const CursorTime = z.iso
  .datetime()
  .refine((t) => !t.startsWith('0000') && Number.isFinite(Date.parse(t)), 'not a valid time');

/**
 * Parses `body` with `schema`; a failure is a 400 whose `code` names the first specific fault — the code
 * a refinement set on its issue (`params.code`), or `codeAt(path)` for the field — else
 * `validation_failed`, with every issue listed in `errors`, each with its own code.
 */
export function parseWithCodes<T extends z.ZodType>(
  schema: T,
  body: unknown,
  codeAt: (path: PropertyKey[]) => string | undefined,
  fallback = 'Invalid request.',
): z.infer<T> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => ({
    path: i.path.join('.'),
    message: i.message,
    code: ((i as { params?: { code?: string } }).params?.code ?? codeAt(i.path)) || 'validation_failed',
  }));
  const code = errors.find((e) => e.code !== 'validation_failed')?.code ?? 'validation_failed';
  throw new AppError(400, code, errors.find((e) => e.code === code)?.message ?? fallback, { errors });
}
