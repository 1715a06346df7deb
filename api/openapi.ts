import { z } from 'zod';
import {
  CastReview,
  CreateAccessRequest,
  ListAccessRequests,
  ResubmitAccessRequest,
  Withdraw,
} from './access-requests/access-requests.schema.ts';
import { CommunityAuditQuery, ConsistencyQuery } from './audit/audit.schema.ts';
import { CatalogPageQuery } from './catalog/catalog.schema.ts';
import { AddMember, CreateCommunity, UpdateCommunity } from './communities/communities.schema.ts';
import { CreateDataset, ListDatasets, UpdateDataset } from './datasets/datasets.schema.ts';
import { RegisterDerivedWork } from './derived-works/derived-works.schema.ts';
import { CompleteFile, RegisterFile } from './files/files.schema.ts';
import { AcceptLicence, GrantAct, ListGrants, RenewGrant } from './grants/grants.schema.ts';
import { CreateLicence } from './licences/licences.schema.ts';
import { ListNotifications } from './notifications/notifications.schema.ts';
import { ObligationReason, SubmitEvidence, VerifyObligation } from './obligations/obligations.schema.ts';
import { CreateRelease } from './releases/releases.schema.ts';
import { ReportQueryDoc, TransparencyQueryDoc } from './reports/reports.schema.ts';
import { CreateToken } from './tokens/tokens.schema.ts';

const schema = (s: z.ZodType) =>
  z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });

const problem = {
  description: 'RFC 9457 problem',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};
const json = (description: string) => ({ description, content: { 'application/json': { schema: {} } } });
const body = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s) } } });
const slug = { name: 'slug', in: 'path', required: true, schema: { type: 'string' } };
const tag = { name: 'tag', in: 'path', required: true, schema: { type: 'string' } };
const versionParam = { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };
const jsonld = (description: string) => ({
  description,
  content: { 'application/ld+json': { schema: {} } },
});
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const errors = { '400': problem, '401': problem, '403': problem, '404': problem, '409': problem };

function queryParams(s: z.ZodObject) {
  const js = schema(s) as { properties: Record<string, object>; required?: string[] };
  return Object.entries(js.properties).map(([name, sch]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: sch,
  }));
}

/** The OpenAPI 3.1 description of `/api/v1`, built from the same zod schemas that validate requests. */
export function openApiDocument(publicUrl: string, version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Steward API',
      version,
      license: { name: 'EUPL-1.2', identifier: 'EUPL-1.2' },
      description:
        'A data commons with conditions. Errors are application/problem+json with a stable `code`.',
    },
    servers: [{ url: `${publicUrl}/api/v1` }],
    security: [{}, { bearer: [] }, { cookie: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A personal API token (`stw_…`)' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'steward.sid' },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string' },
            detail: { type: 'string' },
            requestId: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    paths: {
      '/health': { get: { summary: 'Health', responses: { '200': json('status, db, storage, version') } } },
      '/me': {
        get: {
          summary: 'The caller, memberships and packed CASL rules',
          responses: { '200': json('me'), '401': problem },
        },
      },
      '/me/notifications': {
        get: {
          summary: 'My inbox, newest first: { items, unread, nextCursor }',
          parameters: queryParams(ListNotifications),
          responses: { '200': json('notifications'), ...errors },
        },
      },
      '/me/notifications/{id}/read': {
        post: {
          summary: 'Mark one of my notifications read (someone else’s is 404)',
          parameters: [id],
          responses: { '200': json('notification'), ...errors },
        },
      },
      '/me/notifications/read-all': {
        post: {
          summary: 'Mark all my notifications read',
          responses: { '200': json('{ marked }'), ...errors },
        },
      },
      '/auth/providers': {
        get: { summary: 'Identity provider in use', responses: { '200': json('providers') } },
      },
      '/communities': {
        get: { summary: 'List communities', responses: { '200': json('communities') } },
        post: {
          summary: 'Create a community (admin)',
          requestBody: body(CreateCommunity),
          responses: { '201': json('community'), ...errors },
        },
      },
      '/communities/{slug}': {
        get: {
          summary: 'A community',
          parameters: [slug],
          responses: { '200': json('community'), '404': problem },
        },
        patch: {
          summary: 'Turn the public transparency page and member sharing of reports on or off (stewards)',
          parameters: [slug],
          requestBody: body(UpdateCommunity),
          responses: { '200': json('community'), ...errors },
        },
      },
      '/communities/{slug}/report': {
        get: {
          summary: 'Usage report (stewards, auditors; members when the community shares it)',
          description:
            'Downloads by month (UTC), purpose, organisation and dataset; requests by status, acceptance rate and median hours to decision; grants and obligations by state; derived works. `format=csv` gives tidy `metric,key,value` rows. Bad input: `400 invalid_date`, `invalid_period`, `unsupported_format`.',
          parameters: [slug, ...queryParams(ReportQueryDoc)],
          responses: {
            '200': {
              description: 'the report',
              content: { 'application/json': { schema: {} }, 'text/csv': { schema: { type: 'string' } } },
            },
            '400': problem,
            '404': problem,
          },
        },
      },
      '/communities/{slug}/transparency': {
        get: {
          summary: "The community's public transparency page (anyone, when the community opts in)",
          description:
            'Approved uses (purpose, organisation, dates), acceptance rate, median decision time, downloads per month, derived works. No names or e-mails.',
          parameters: [slug, ...queryParams(TransparencyQueryDoc)],
          responses: { '200': json('transparency'), '400': problem, '404': problem },
        },
      },
      '/communities/{slug}/audit': {
        get: {
          summary: "The community's audit events with hashes and inclusion proofs (stewards, auditors)",
          description:
            'Events in leaf order, each `{ leafIndex, hash, proof, event }`, proved against `checkpoint`; `nextCursor` keeps later pages on the same checkpoint. The hash is SHA-256(0x00 || RFC 8785 JSON of the event).',
          parameters: [slug, ...queryParams(CommunityAuditQuery)],
          responses: { '200': json('{ checkpoint, items, nextCursor }'), '400': problem, '404': problem },
        },
      },
      '/audit/checkpoint': {
        get: {
          summary: 'The latest signed checkpoint of the audit log',
          description:
            'C2SP tlog-checkpoint signed with Ed25519 as a C2SP signed note: `{ size, root, signature, publicKey, keyName, verifierKey, note }`.',
          responses: { '200': json('checkpoint'), '404': problem },
        },
      },
      '/audit/consistency': {
        get: {
          summary: 'RFC 6962 consistency proof between two tree sizes',
          parameters: queryParams(ConsistencyQuery),
          responses: { '200': json('{ from, to, proof }'), '400': problem },
        },
      },
      '/communities/{slug}/members': {
        get: {
          summary: 'The members and their roles (stewards; the admin)',
          parameters: [slug],
          responses: { '200': json('{ items: [{ userId, name, email, role, since }] }'), ...errors },
        },
        post: {
          summary: 'Add a member',
          parameters: [slug],
          requestBody: body(AddMember),
          responses: { '201': json('member'), ...errors },
        },
      },
      '/datasets': {
        get: {
          summary: 'Catalog',
          parameters: queryParams(ListDatasets),
          responses: { '200': json('{ items, nextCursor }'), '400': problem },
        },
        post: {
          summary: 'Create a dataset (steward)',
          requestBody: body(CreateDataset),
          responses: { '201': json('dataset'), ...errors },
        },
      },
      '/datasets/{slug}': {
        get: {
          summary: 'A dataset page',
          parameters: [slug],
          responses: { '200': json('dataset'), '404': problem },
        },
        patch: {
          summary: 'Edit a dataset',
          description:
            '`labels` replaces the Local Contexts Labels and Notices; each type is a Local Contexts name (GET /local-contexts/labels). 400 codes: unknown_label_type, label_kind_mismatch, duplicate_label.',
          parameters: [slug],
          requestBody: body(UpdateDataset),
          responses: { '200': json('dataset'), ...errors },
        },
      },
      '/datasets/{slug}/label-suggestions': {
        get: {
          summary:
            "Terms the dataset's labels suggest, each with whether the tier and licence already carry it",
          parameters: [slug],
          responses: { '200': json('{ items: [{ label, suggestion, satisfied }] }'), '404': problem },
        },
      },
      '/local-contexts/labels': {
        get: {
          summary: 'The Local Contexts Labels and Notices, with the terms each suggests',
          responses: { '200': json('{ items }') },
        },
      },
      '/datasets/{slug}/publish': {
        post: { summary: 'Publish', parameters: [slug], responses: { '200': json('dataset'), ...errors } },
      },
      '/datasets/{slug}/withdraw': {
        post: { summary: 'Withdraw', parameters: [slug], responses: { '200': json('dataset'), ...errors } },
      },
      '/datasets/{slug}/releases': {
        post: {
          summary: 'Create a release',
          parameters: [slug],
          requestBody: body(CreateRelease),
          responses: { '201': json('release'), ...errors },
        },
      },
      '/datasets/{slug}/releases/{tag}': {
        get: {
          summary: 'A release',
          parameters: [slug, tag],
          responses: { '200': json('release'), '404': problem },
        },
      },
      '/datasets/{slug}/releases/{tag}/publish': {
        post: {
          summary: 'Publish a release (immutable after)',
          parameters: [slug, tag],
          responses: { '200': json('release'), ...errors },
        },
      },
      '/datasets/{slug}/releases/{tag}/manifest': {
        get: {
          summary: 'The files of a release the caller may download, each with a signed URL',
          description:
            'Tag `latest` names the newest published release. Each file `{ id, name, size, sha256, mediaType, tier, url, expiresAt }` has its `download.issued` event committed before its URL is signed (the same gate as `GET /files/{id}/download`). `withheld: [{ id, name, size, tier, reason, message }]` lists the files the caller may see but not download; `reason` is one of sign_in, token_scope, accept_licence, request_access, request_pending, obligation_overdue, grant_suspended, grant_revoked, grant_expired, grant_not_started, licence_withdrawn, outside_grant_scope, closed, not_available. `?files=ID,ID` narrows to those files.',
          parameters: [
            slug,
            tag,
            { name: 'files', in: 'query', required: false, schema: { type: 'string' } },
          ],
          responses: { '200': json('{ dataset, release, files, withheld }'), '400': problem, '404': problem },
        },
      },
      '/datasets/{slug}/releases/{tag}/files': {
        post: {
          summary: 'Register a file; returns a signed PUT, or signed part URLs for a large file',
          description:
            'At or under MULTIPART_THRESHOLD bytes `upload` is `{ method: "PUT", url, headers, expiresAt }`; above it `{ method: "multipart", partSize, parts: [{ partNumber, url }], expiresAt }`: PUT each part\'s bytes to its URL and keep the `ETag` each answers.',
          parameters: [slug, tag],
          requestBody: body(RegisterFile),
          responses: { '201': json('file with upload'), ...errors },
        },
      },
      '/datasets/{slug}/licences': {
        get: {
          summary: 'Licence versions of a dataset, newest first',
          parameters: [slug],
          responses: { '200': json('{ items }'), '404': problem },
        },
        post: {
          summary: 'Publish a new licence version (steward); versions never change after',
          description:
            'Bad terms are 400 with a stable code: unknown_duo_code, unknown_purpose, licence_empty, unknown_spdx_id, unknown_prohibition, unknown_reciprocity_kind, unknown_reciprocity_timing, reciprocity_timing_incomplete, invalid_quorum, duplicate_field_name, choice_without_options, unknown_field_type, max_grant_days_out_of_range, unknown_country, invalid_time_window, auto_approve_not_allowed.',
          parameters: [slug],
          requestBody: body(CreateLicence),
          responses: { '201': json('licence version'), ...errors },
        },
      },
      '/datasets/{slug}/licences/{version}': {
        get: {
          summary: 'A licence version',
          parameters: [slug, versionParam],
          responses: { '200': json('licence version'), '404': problem },
        },
      },
      '/datasets/{slug}/licences/{version}/withdraw': {
        post: {
          summary: 'Withdraw a licence version (steward); grants under it stop',
          parameters: [slug, versionParam],
          responses: { '200': json('licence version'), ...errors },
        },
      },
      '/datasets/{slug}/licences/{version}/odrl.jsonld': {
        get: {
          summary: 'The ODRL 2.2 Offer of a licence version',
          parameters: [slug, versionParam],
          responses: { '200': jsonld('ODRL Offer'), '404': problem },
        },
      },
      '/catalog/dcat.jsonld': {
        get: {
          summary:
            'DCAT-AP 3 catalog of the datasets anyone may read (valid against the official SHACL shapes), a page at a time: `hydra:view` / `Link: rel="next"` lead to the next page',
          parameters: queryParams(CatalogPageQuery),
          responses: { '200': jsonld('dcat:Catalog'), '400': problem },
        },
      },
      '/datasets/{slug}/croissant.jsonld': {
        get: {
          summary: 'Croissant 1.1 + RAI; contentUrl is the stable download gate, never a signed URL',
          description:
            'Sends the AI-preference headers: tdm-reservation, tdm-policy, Content-Usage, Link rel="license".',
          parameters: [slug],
          responses: { '200': jsonld('Croissant dataset'), '404': problem },
        },
      },
      '/licence-templates': {
        get: { summary: 'Licence templates to start from', responses: { '200': json('{ items }') } },
      },
      '/licence-templates/{id}': {
        get: {
          summary: 'A licence template',
          parameters: [{ ...id, schema: { type: 'string' } }],
          responses: { '200': json('template'), '404': problem },
        },
      },
      '/purposes': {
        get: {
          summary: 'The purpose vocabulary, DUO terms, prohibitions and reciprocity kinds',
          responses: { '200': json('vocabulary') },
        },
      },
      '/odrl/profile.jsonld': {
        get: { summary: "Steward's ODRL profile", responses: { '200': jsonld('profile') } },
      },
      '/files/{id}/upload': {
        post: {
          summary: 'Fresh upload URLs: a signed PUT, or every part URL of the open multipart upload',
          parameters: [id],
          responses: { '200': json('upload'), ...errors },
        },
      },
      '/files/{id}/complete': {
        post: {
          summary: 'Verify the stored object (size, SHA-256); a multipart file first assembles its parts',
          description:
            'A multipart file sends `{ parts: [{ partNumber, etag }] }`. 422 codes: object_missing, size_mismatch, checksum_mismatch, parts_missing, multipart_incomplete (the file is then failed and its upload closed); 400: parts_required, duplicate_part, not_multipart.',
          parameters: [id],
          requestBody: { ...body(CompleteFile), required: false },
          responses: { '200': json('file'), '422': problem, ...errors },
        },
      },
      '/files/{id}/download': {
        get: {
          summary: 'Download gate',
          description:
            '302 to a short-lived signed URL after `download.issued` is committed; `Accept: application/json` gives `{ url, expiresAt, sha256, size }`. Both carry the AI-preference headers (tdm-reservation, tdm-policy, Content-Usage, Link rel="license") that signed URLs cannot.',
          parameters: [id],
          responses: {
            '302': { description: 'signed URL in Location' },
            '200': json('signed URL'),
            ...errors,
          },
        },
      },
      '/datasets/{slug}/access-requests': {
        post: {
          summary: 'Request access to a gated or restricted dataset (signed in; token scope `request`)',
          description:
            'Answers `201 { id, status, match: { result, reasons }, … }`. The terms match runs on every request; where the licence turns on auto-approval and the match is `match`, the request is approved and the grant issued at once. Codes: unknown_purpose, purpose_incomplete, answer_required, invalid_answer, unknown_field, unknown_team_member, unknown_release, unknown_file, scope_ambiguous, requested_days_out_of_range, licence_version_required (400); licence_version_not_current (409, with currentVersion: re-read the terms), no_licence, dataset_not_requestable, request_already_open (409).',
          parameters: [slug],
          requestBody: body(CreateAccessRequest),
          responses: { '201': json('access request'), '429': problem, ...errors },
        },
      },
      '/datasets/{slug}/accept': {
        post: {
          summary: 'Accept a registered dataset’s licence (click-through grant; token scope `request`)',
          description:
            '201 with the new click-through grant; 200 with the one in force when accepted already. Codes: licence_version_not_current, not_click_through, no_licence (409).',
          parameters: [slug],
          requestBody: body(AcceptLicence),
          responses: { '201': json('grant'), '200': json('grant'), ...errors },
        },
      },
      '/access-requests': {
        get: {
          summary:
            'My requests (`mine=1`) or a community’s review queue (`community`, `status=submitted,in_review`, `order=oldest`), filtered by the policy',
          parameters: queryParams(ListAccessRequests),
          responses: { '200': json('{ items }'), '400': problem, '401': problem, '404': problem },
        },
      },
      '/access-requests/{id}': {
        get: {
          summary: 'A request (requester, team, the community’s stewards and reviewers), with its history',
          parameters: [id],
          responses: { '200': json('access request'), '404': problem },
        },
        patch: {
          summary: 'Resubmit a returned request (requester), accepting the current licence version again',
          description: 'Codes: request_not_returned (409) and those of the request body.',
          parameters: [id],
          requestBody: body(ResubmitAccessRequest),
          responses: { '200': json('access request'), ...errors },
        },
      },
      '/access-requests/{id}/withdraw': {
        post: {
          summary: 'Withdraw an open request (requester)',
          description: 'Codes: request_closed (409).',
          parameters: [id],
          requestBody: body(Withdraw),
          responses: { '200': json('access request'), ...errors },
        },
      },
      '/access-requests/{id}/reviews': {
        post: {
          summary: 'Review a request (community stewards and reviewers; token scope `manage`)',
          description:
            'The licence’s decision rule turns reviews into a decision (single: a steward decides; quorum: k approvals, a veto deny denies, a return returns; a declared conflict of interest counts for nothing); approval issues the grant. Codes: not_a_reviewer, own_request (403); request_not_reviewable, already_reviewed, licence_withdrawn (409).',
          parameters: [id],
          requestBody: body(CastReview),
          responses: { '201': json('access request'), ...errors },
        },
      },
      '/grants': {
        get: {
          summary:
            'My grants (`mine=1`) or a community’s (`community`, stewards), with obligations and due dates',
          parameters: queryParams(ListGrants),
          responses: { '200': json('{ items }'), '400': problem, '401': problem, '404': problem },
        },
      },
      '/grants/{id}': {
        get: {
          summary: 'A grant: `{ id, status, datasetSlug, expiresAt, obligations, … }`',
          parameters: [id],
          responses: { '200': json('grant'), '404': problem },
        },
      },
      '/grants/{id}/odrl.jsonld': {
        get: {
          summary:
            'The grant’s ODRL Agreement, signed (JWS, EdDSA); `Accept: application/jose` gives the JWS alone',
          parameters: [id],
          responses: {
            '200': jsonld('ODRL Agreement with steward:signature { jws, sha256 }'),
            '404': problem,
          },
        },
      },
      ...Object.fromEntries(
        (['suspend', 'reinstate', 'revoke', 'renew'] as const).map((act) => [
          `/grants/{id}/${act}`,
          {
            post: {
              summary: `${act[0].toUpperCase()}${act.slice(1)} a grant (steward; reason required)`,
              description:
                act === 'renew'
                  ? 'Extends the expiry by `days` (default: the licence’s maximum), never beyond the licence’s maximum from today. Codes: renewal_exceeds_cap (422), licence_withdrawn, grant_state_conflict (409).'
                  : 'Codes: grant_state_conflict (409).',
              parameters: [id],
              requestBody: body(act === 'renew' ? RenewGrant : GrantAct),
              responses: { '200': json('grant'), '422': problem, ...errors },
            },
          },
        ]),
      ),
      '/grants/{id}/obligations': {
        get: {
          summary: 'A grant’s obligations (grantees, stewards), each with `can` flags',
          parameters: [id],
          responses: { '200': json('{ items }'), '404': problem },
        },
      },
      '/obligations/{id}': {
        get: {
          summary: 'An obligation',
          parameters: [id],
          responses: { '200': json('obligation'), '404': problem },
        },
      },
      '/obligations/{id}/evidence': {
        post: {
          summary: 'Give evidence for an open obligation (grantee; token scope `request`)',
          description:
            'The obligation stays open until a steward verifies it: evidence alone restores no download. A `file` answers with `upload`, a signed PUT for its bytes. Codes: evidence_incomplete, derived_work_not_in_grant, derived_work_kind_mismatch (422); obligation_state_conflict (409).',
          parameters: [id],
          requestBody: body(SubmitEvidence),
          responses: { '200': json('obligation'), '422': problem, ...errors },
        },
      },
      '/obligations/{id}/evidence/file': {
        get: {
          summary: 'The evidence file: `302` to a signed GET (grantees, stewards)',
          parameters: [id],
          responses: { '302': { description: 'to the signed URL' }, '404': problem },
        },
      },
      ...Object.fromEntries(
        (['verify', 'waive', 'reject'] as const).map((act) => [
          `/obligations/{id}/${act}`,
          {
            post: {
              summary: {
                verify: 'Verify the evidence: the obligation is fulfilled (steward)',
                waive: 'Waive the obligation, with a reason (steward)',
                reject: 'Send the evidence back, with a reason: the obligation stays open (steward)',
              }[act],
              description:
                'A verified or waived recurring obligation schedules the next one (`next`). Codes: evidence_missing, evidence_file_missing, obligation_state_conflict (409); evidence_file_too_large (422).',
              parameters: [id],
              requestBody: body(act === 'verify' ? VerifyObligation : ObligationReason),
              responses: { '200': json('obligation with next'), ...errors },
            },
          },
        ]),
      ),
      '/grants/{id}/derived-works': {
        post: {
          summary: 'Register a derived work under a grant (grantee; token scope `request`)',
          description:
            '`obligationId` makes the work that obligation’s evidence. Codes: derived_work_kind_mismatch, obligation_not_in_grant (422); obligation_state_conflict (409).',
          parameters: [id],
          requestBody: body(RegisterDerivedWork),
          responses: { '201': json('derived work'), '422': problem, ...errors },
        },
        get: {
          summary: 'The derived works registered under a grant',
          parameters: [id],
          responses: { '200': json('{ items }'), '404': problem },
        },
      },
      '/datasets/{slug}/derived-works': {
        get: {
          summary: 'The derived works registered against a dataset (anyone who may read it)',
          parameters: [slug],
          responses: { '200': json('{ items }'), '404': problem },
        },
      },
      '/keys': {
        get: {
          summary: 'The instance’s public signing keys (JWK Set; verifies grant Agreements)',
          responses: { '200': json('{ keys }') },
        },
      },
      '/tokens': {
        get: { summary: 'My tokens', responses: { '200': json('tokens'), '401': problem } },
        post: {
          summary: 'Create a token (shown once)',
          requestBody: body(CreateToken),
          responses: { '201': json('token'), ...errors },
        },
      },
      '/tokens/{id}': {
        delete: {
          summary: 'Delete a token',
          parameters: [id],
          responses: { '204': { description: 'deleted' }, ...errors },
        },
      },
    },
  };
}
