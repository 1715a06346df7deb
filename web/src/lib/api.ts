import type {
  AccessRequest,
  AccessRequestSummary,
  CastReview,
  Community,
  CommunityRole,
  CreateAccessRequest,
  CreateCommunity,
  CreateDataset,
  CreateFile,
  CreateLicence,
  CreateRelease,
  CreateToken,
  DataFile,
  Dataset,
  DatasetQuery,
  DatasetSummary,
  DerivedWork,
  Evidence,
  FieldError,
  Grant,
  GrantStatus,
  LabelSuggestion,
  LabelType,
  Licence,
  LicenceTemplate,
  Me,
  Member,
  NewDerivedWork,
  NewFile,
  NewToken,
  Notification as NotificationItem,
  NotificationPage,
  Obligation,
  Page,
  Problem,
  Providers,
  Release,
  Report,
  ReportPeriod,
  RequestStatus,
  ResubmitAccessRequest,
  Token,
  Transparency,
  UpdateDataset,
  UploadInstructions,
  Vocabulary,
} from './types';

const BASE = '/api/v1';

/** A non-2xx answer of the API, carrying its problem+json body. */
export class ApiError extends Error implements Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly requestId?: string;
  readonly errors?: FieldError[];
  /** The problem's other members (e.g. `field` naming a licence question, `email` an unknown team member). */
  readonly extensions: Record<string, unknown>;

  constructor(problem: Problem, extensions: Record<string, unknown> = {}) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.requestId = problem.requestId;
    this.errors = problem.errors;
    this.extensions = extensions;
  }

  /** The message of the field error at `path` (e.g. `'slug'` or `'scopes.0'`), if any. */
  fieldError(path: string): string | undefined {
    return this.errors?.find((e) => fieldPath(e) === path)?.message;
  }
}

/** A field error's path as a dotted string. */
export function fieldPath(e: FieldError): string {
  return Array.isArray(e.path) ? e.path.join('.') : String(e.path ?? '');
}

/** Turns anything thrown into an ApiError (network failures become status 0, code `network_error`). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError({
    type: 'about:blank',
    title: 'The server could not be reached',
    status: 0,
    code: 'network_error',
    detail: message,
  });
}

async function problemFrom(res: Response): Promise<ApiError> {
  let body: Partial<Problem> | null = null;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      body = (await res.json()) as Partial<Problem>;
    } catch {
      body = null;
    }
  }
  return new ApiError(
    {
      type: body?.type ?? 'about:blank',
      title: body?.title ?? (res.statusText || `HTTP ${res.status}`),
      status: body?.status ?? res.status,
      code: body?.code ?? `http_${res.status}`,
      detail: body?.detail,
      requestId: body?.requestId ?? res.headers.get('x-request-id') ?? undefined,
      errors: Array.isArray(body?.errors) ? body.errors : undefined,
    },
    body ?? {},
  );
}

/** One JSON request; resolves to the parsed body (undefined for 204), rejects with ApiError. */
export async function request<T>(method: string, path: string, body?: unknown, base = BASE): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, credentials: 'same-origin', headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(base + path, init);
  } catch (err) {
    throw toApiError(err);
  }
  if (!res.ok) throw await problemFrom(res);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('json')) return undefined as T;
  return (await res.json()) as T;
}

const seg = encodeURIComponent;

function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    sp.set(k, v === true ? '1' : String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

/** The typed Steward API client used by every page. */
export const api = {
  me: () => request<Me>('GET', '/me'),
  providers: () => request<Providers>('GET', '/auth/providers'),
  logout: () => request<void>('POST', '/auth/logout', undefined, ''),

  communities: () => request<{ items: Community[] }>('GET', '/communities'),
  createCommunity: (body: CreateCommunity) => request<Community>('POST', '/communities', body),
  community: (slug: string) => request<Community>('GET', `/communities/${seg(slug)}`),
  updateCommunity: (
    slug: string,
    body: { transparencyPublic?: boolean; reportsSharedWithMembers?: boolean },
  ) => request<Community>('PATCH', `/communities/${seg(slug)}`, body),
  members: (slug: string) => request<{ items: Member[] }>('GET', `/communities/${seg(slug)}/members`),
  addMember: (slug: string, body: { email: string; role: CommunityRole; name?: string }) =>
    request<Member & { added: boolean }>('POST', `/communities/${seg(slug)}/members`, body),
  report: (slug: string, p: ReportPeriod = {}) =>
    request<Report>(
      'GET',
      `/communities/${seg(slug)}/report${query({ from: p.from, to: p.to, dataset: p.dataset })}`,
    ),
  /** The CSV export's URL, for a plain download link (the session cookie goes with it). */
  reportCsvUrl: (slug: string, p: ReportPeriod = {}) =>
    `${BASE}/communities/${seg(slug)}/report${query({ from: p.from, to: p.to, dataset: p.dataset, format: 'csv' })}`,
  transparency: (slug: string, p: ReportPeriod = {}) =>
    request<Transparency>(
      'GET',
      `/communities/${seg(slug)}/transparency${query({ from: p.from, to: p.to })}`,
    ),

  datasets: (q: DatasetQuery = {}) =>
    request<Page<DatasetSummary>>(
      'GET',
      `/datasets${query({
        q: q.q,
        tier: q.tier,
        purpose: q.purpose,
        label: q.label,
        language: q.language,
        community: q.community,
        includeDrafts: q.includeDrafts,
        cursor: q.cursor,
        limit: q.limit,
      })}`,
    ),
  dataset: (slug: string) => request<Dataset>('GET', `/datasets/${seg(slug)}`),
  createDataset: (body: CreateDataset) => request<Dataset>('POST', '/datasets', body),
  updateDataset: (slug: string, body: UpdateDataset) =>
    request<Dataset>('PATCH', `/datasets/${seg(slug)}`, body),
  publishDataset: (slug: string) => request<Dataset>('POST', `/datasets/${seg(slug)}/publish`),
  withdrawDataset: (slug: string) => request<Dataset>('POST', `/datasets/${seg(slug)}/withdraw`),

  createRelease: (slug: string, body: CreateRelease) =>
    request<Release>('POST', `/datasets/${seg(slug)}/releases`, body),
  publishRelease: (slug: string, tag: string) =>
    request<Release>('POST', `/datasets/${seg(slug)}/releases/${seg(tag)}/publish`),

  createFile: (slug: string, tag: string, body: CreateFile) =>
    request<NewFile>('POST', `/datasets/${seg(slug)}/releases/${seg(tag)}/files`, body),
  completeFile: (id: string, parts?: { partNumber: number; etag: string }[]) =>
    request<DataFile>('POST', `/files/${seg(id)}/complete`, parts ? { parts } : undefined),
  renewUpload: (id: string) => request<{ upload: UploadInstructions }>('POST', `/files/${seg(id)}/upload`),
  labelSuggestions: (slug: string) =>
    request<{ items: LabelSuggestion[] }>('GET', `/datasets/${seg(slug)}/label-suggestions`),
  labelTypes: () => request<{ items: LabelType[] }>('GET', '/local-contexts/labels'),

  licences: (slug: string) => request<{ items: Licence[] }>('GET', `/datasets/${seg(slug)}/licences`),
  licence: (slug: string, version: number) =>
    request<Licence>('GET', `/datasets/${seg(slug)}/licences/${version}`),
  createLicence: (slug: string, body: CreateLicence) =>
    request<Licence>('POST', `/datasets/${seg(slug)}/licences`, body),
  licenceTemplates: () => request<{ items: LicenceTemplate[] }>('GET', '/licence-templates'),
  vocabulary: () => request<Vocabulary>('GET', '/purposes'),

  /** `mine`: my requests (as requester or team member); `community`: its requests, e.g. the review queue. */
  accessRequests: (
    q: {
      mine?: boolean;
      community?: string;
      dataset?: string;
      status?: RequestStatus[];
      order?: 'newest' | 'oldest';
      limit?: number;
    } = {},
  ) =>
    request<{ items: AccessRequestSummary[] }>(
      'GET',
      `/access-requests${query({
        mine: q.mine,
        community: q.community,
        dataset: q.dataset,
        status: q.status?.join(','),
        order: q.order,
        limit: q.limit,
      })}`,
    ),
  accessRequest: (id: string) => request<AccessRequest>('GET', `/access-requests/${seg(id)}`),
  createAccessRequest: (slug: string, body: CreateAccessRequest) =>
    request<AccessRequest>('POST', `/datasets/${seg(slug)}/access-requests`, body),
  resubmitAccessRequest: (id: string, body: ResubmitAccessRequest) =>
    request<AccessRequest>('PATCH', `/access-requests/${seg(id)}`, body),
  withdrawAccessRequest: (id: string, reason?: string) =>
    request<AccessRequest>('POST', `/access-requests/${seg(id)}/withdraw`, reason ? { reason } : {}),
  castReview: (id: string, body: CastReview) =>
    request<AccessRequest>('POST', `/access-requests/${seg(id)}/reviews`, body),

  /** `mine`: grants I am a grantee of; `community`: the community's grants (its stewards). */
  grants: (q: { mine?: boolean; community?: string; status?: GrantStatus; limit?: number } = {}) =>
    request<{ items: Grant[] }>(
      'GET',
      `/grants${query({ mine: q.mine, community: q.community, status: q.status, limit: q.limit })}`,
    ),
  grant: (id: string) => request<Grant>('GET', `/grants/${seg(id)}`),
  actOnGrant: (
    id: string,
    action: 'suspend' | 'reinstate' | 'revoke' | 'renew',
    body: { reason: string; days?: number },
  ) => request<Grant>('POST', `/grants/${seg(id)}/${action}`, body),
  submitEvidence: (id: string, body: Evidence) =>
    request<Obligation>('POST', `/obligations/${seg(id)}/evidence`, body),
  actOnObligation: (
    id: string,
    action: 'verify' | 'waive' | 'reject',
    body: { reason?: string; note?: string },
  ) => request<Obligation>('POST', `/obligations/${seg(id)}/${action}`, body),
  grantDerivedWorks: (id: string) =>
    request<{ items: DerivedWork[] }>('GET', `/grants/${seg(id)}/derived-works`),
  registerDerivedWork: (id: string, body: NewDerivedWork) =>
    request<DerivedWork>('POST', `/grants/${seg(id)}/derived-works`, body),
  datasetDerivedWorks: (slug: string) =>
    request<{ items: DerivedWork[] }>('GET', `/datasets/${seg(slug)}/derived-works`),

  tokens: () => request<{ items: Token[] }>('GET', '/tokens'),
  createToken: (body: CreateToken) => request<NewToken>('POST', '/tokens', body),
  deleteToken: (id: string) => request<void>('DELETE', `/tokens/${seg(id)}`),

  notifications: (q: { unread?: boolean; cursor?: string; limit?: number } = {}) =>
    request<NotificationPage>('GET', `/me/notifications${query(q)}`),
  markNotificationRead: (id: string) =>
    request<NotificationItem>('POST', `/me/notifications/${seg(id)}/read`),
  markAllNotificationsRead: () => request<{ marked: number }>('POST', '/me/notifications/read-all'),
};
