import spdxIds from 'spdx-license-ids/index.json' with { type: 'json' };
import { z } from 'zod';
import { duoTerm } from '../../policies/duo.ts';
import {
  evidenceKinds,
  fieldTypes,
  MAX_GRANT_DAYS,
  reciprocityKindIds,
  reciprocityTimingIds,
} from '../../policies/licence-terms.ts';
import { isPurpose, prohibitionIds } from '../../policies/purposes.ts';
import { parseWithCodes, Slug } from '../common.schema.ts';

const spdx = new Set<string>(spdxIds);
const regions = new Intl.DisplayNames(['en'], { type: 'region' });

/** A string checked by `ok`; a failure is an issue carrying a stable problem `code`. */
const checked = (
  base: z.ZodString,
  ok: (v: string) => boolean,
  code: string,
  message: (v: string) => string,
) =>
  base.superRefine((v, ctx) => {
    if (!ok(v)) ctx.addIssue({ code: 'custom', message: message(v), params: { code } });
  });

const Purpose = checked(
  z.string().trim().max(100),
  isPurpose,
  'unknown_purpose',
  (v) => `"${v}" is not in the purpose vocabulary (GET /api/v1/purposes)`,
);
const Duo = checked(
  z.string().trim().max(20),
  (v) => duoTerm(v) !== undefined,
  'unknown_duo_code',
  (v) => `"${v}" is not a DUO data-use term (e.g. DUO:0000042)`,
);
const Country = checked(
  z.string().trim().max(2),
  (v) => /^[A-Z]{2}$/.test(v) && regions.of(v) !== v && regions.of(v) !== 'Unknown Region',
  'unknown_country',
  (v) => `"${v}" is not an ISO 3166-1 alpha-2 country code (e.g. "NZ")`,
);
const Base = checked(
  z.string().trim().max(100),
  (v) => v === '' || spdx.has(v) || /^LicenseRef-[A-Za-z0-9.-]{1,80}$/.test(v),
  'unknown_spdx_id',
  (v) => `"${v}" is not an SPDX licence id (e.g. "CC-BY-4.0") or a LicenseRef-…`,
);
const IsoDate = z.iso.date();

export const ReciprocityTerm = z
  .strictObject({
    kind: z.enum(reciprocityKindIds),
    timing: z.enum(reciprocityTimingIds),
    dueDays: z.number().int().min(1).max(MAX_GRANT_DAYS).optional(),
    everyMonths: z.number().int().min(1).max(120).optional(),
    evidence: z.enum(evidenceKinds).optional(),
    description: z.string().trim().max(1000).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.timing === 'after-grant' && t.dueDays === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['dueDays'],
        message: 'a term due after the grant needs dueDays',
        params: { code: 'reciprocity_timing_incomplete' },
      });
    if (t.timing === 'every-n-months' && t.everyMonths === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['everyMonths'],
        message: 'a recurring term needs everyMonths',
        params: { code: 'reciprocity_timing_incomplete' },
      });
  });

export const FormField = z.strictObject({
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]{0,39}$/,
      'use 1–40 lowercase letters, digits or underscores, starting with a letter',
    ),
  label: z.string().trim().min(1).max(200),
  type: z.enum(fieldTypes),
  required: z.boolean().default(false),
  options: z.array(z.string().trim().min(1).max(200)).max(50).optional(),
});

export const DecisionRule = z.discriminatedUnion('rule', [
  z.strictObject({ rule: z.literal('single') }),
  z.strictObject({
    rule: z.literal('quorum'),
    k: z.number().int(),
    n: z.number().int().max(100).optional(),
    veto: z.boolean().default(false),
  }),
]);

/** The body of `POST /datasets/:slug/licences` (API.md "Bodies that clients write"). */
export const CreateLicence = z
  .strictObject({
    base: Base.default(''),
    text: z.string().max(100_000).default(''),
    purposes: z.array(Purpose).max(20).default([]),
    duo: z.array(Duo).max(25).default([]),
    prohibitions: z.array(z.enum(prohibitionIds)).max(20).default([]),
    constraints: z
      .strictObject({
        geography: z.array(Country).max(250).optional(),
        from: IsoDate.optional(),
        until: IsoDate.optional(),
      })
      .default({}),
    reciprocity: z.array(ReciprocityTerm).max(20).default([]),
    decision: DecisionRule.default({ rule: 'single' }),
    autoApprove: z.boolean().default(false),
    maxGrantDays: z.number().int().min(1).max(MAX_GRANT_DAYS).nullable().default(null),
    fields: z.array(FormField).max(30).default([]),
  })
  .superRefine((l, ctx) => {
    const issue = (code: string, message: string, path: (string | number)[] = []) =>
      ctx.addIssue({ code: 'custom', message, path, params: { code } });
    if (!l.base && !l.text.trim())
      issue('licence_empty', 'a licence needs a base licence (SPDX id) or its own text', ['text']);
    if (l.decision.rule === 'quorum') {
      const { k, n } = l.decision;
      if (k < 1) issue('invalid_quorum', 'k must be at least 1', ['decision', 'k']);
      else if (n !== undefined && k > n)
        issue('invalid_quorum', `k (${k}) cannot be more than n (${n})`, ['decision', 'k']);
    }
    const seen = new Set<string>();
    l.fields.forEach((f, i) => {
      if (seen.has(f.name))
        issue('duplicate_field_name', `two form fields are named "${f.name}"`, ['fields', i, 'name']);
      seen.add(f.name);
      if (f.type === 'choice' && !f.options?.length)
        issue('choice_without_options', `the choice field "${f.name}" needs options`, [
          'fields',
          i,
          'options',
        ]);
    });
    const { from, until } = l.constraints;
    if (from && until && from > until)
      issue('invalid_time_window', 'the time window ends before it starts', ['constraints', 'until']);
  });
export type CreateLicence = z.infer<typeof CreateLicence>;

/** Problem codes for issues zod raises by itself, by where they are. */
function codeAt(path: PropertyKey[]): string | undefined {
  const [top, , field] = path;
  if (top === 'maxGrantDays') return 'max_grant_days_out_of_range';
  if (top === 'prohibitions' && path.length === 2) return 'unknown_prohibition';
  if (top === 'reciprocity' && field === 'kind') return 'unknown_reciprocity_kind';
  if (top === 'reciprocity' && field === 'timing') return 'unknown_reciprocity_timing';
  if (top === 'fields' && field === 'type') return 'unknown_field_type';
  return undefined;
}

/**
 * Parses a licence body. A failure is a 400 whose `code` names the first specific fault
 * (`unknown_duo_code`, `invalid_quorum`, …; `validation_failed` when none applies), with every issue
 * listed in `errors`, each with its own code.
 */
export function parseLicence(body: unknown): CreateLicence {
  return parseWithCodes(CreateLicence, body, codeAt, 'Invalid licence.');
}

export const LicenceParams = z.object({ slug: Slug, version: z.coerce.number().int().min(1).max(1_000_000) });
