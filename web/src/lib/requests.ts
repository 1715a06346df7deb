import { purposeLabel } from './licence';
import type { AccessRequestSummary, MatchResult, Membership, RequestStatus, Vocabulary } from './types';

/** A request's status in words. */
export const statusText: Record<RequestStatus, string> = {
  submitted: 'Submitted',
  in_review: 'In review',
  approved: 'Approved',
  denied: 'Denied',
  returned: 'Returned to you',
  withdrawn: 'Withdrawn',
};

/** The automatic terms match in words, as a heading and a sentence. */
export const matchText: Record<MatchResult, { label: string; sentence: string }> = {
  match: {
    label: 'Terms match',
    sentence: 'The purpose you declared fits the licence: the community’s reviewers still decide.',
  },
  no_match: {
    label: 'Terms do not match',
    sentence: 'The purpose you declared conflicts with the licence: reviewers will most likely deny it.',
  },
  abstain: {
    label: 'Needs a reviewer’s judgement',
    sentence: 'The rules cannot decide this purpose by themselves: the community’s reviewers will.',
  },
};

/** The same, written for reviewers (who read someone else’s request). */
export const matchTextForReviewers: Record<MatchResult, string> = {
  match: 'The declared purpose fits the licence.',
  no_match: 'The declared purpose conflicts with the licence.',
  abstain: 'The rules could not decide; your judgement is needed.',
};

/** A sentence-start capital for a reason the match rules wrote in lower case. */
export const sentence = (s: string) => (s ? `${s[0].toUpperCase()}${s.slice(1)}.` : s);

/** "3 days", "5 hours", "just now": how long ago `iso` was, for ages in a queue. */
export function age(iso: string, now = Date.now()): string {
  const ms = now - new Date(iso).getTime();
  if (!Number.isFinite(ms) || ms < 60_000) return 'just now';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'}`;
  const days = Math.floor(hours / 24);
  return `${days} day${days === 1 ? '' : 's'}`;
}

/** A history entry's act in words (`request.review_started` → "Review started"). */
export function actionText(action: string): string {
  const verb = action.replace(/^request\./, '');
  return (
    {
      submitted: 'Submitted',
      resubmitted: 'Resubmitted',
      review_started: 'Review started',
      approved: 'Approved',
      denied: 'Denied',
      returned: 'Returned to the requester',
      withdrawn: 'Withdrawn',
    }[verb] ?? verb.replace(/_/g, ' ')
  );
}

/** The declared purpose in words: its label and whether the use or the organisation is commercial. */
export function purposeText(vocab: Vocabulary | null, p: AccessRequestSummary['purpose']): string {
  const flags = [
    p.commercial ? 'commercial use' : 'non-commercial',
    p.forProfit ? 'for-profit' : 'not-for-profit',
  ];
  return `${purposeLabel(vocab, p.category)} (${flags.join(', ')})`;
}

/** The communities whose requests the signed-in user reviews (steward or reviewer), one entry each. */
export function reviewerOf(memberships: Membership[]): Membership[] {
  const seen = new Set<string>();
  return memberships.filter(
    (m) =>
      (m.role === 'steward' || m.role === 'reviewer') &&
      !seen.has(m.communitySlug) &&
      seen.add(m.communitySlug),
  );
}

/** ISO 3166-1 alpha-2 codes the browser can name (the API accepts the same: a name other than the code). */
export function countries(): { code: string; name: string }[] {
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  const out: { code: string; name: string }[] = [];
  const A = 'A'.charCodeAt(0);
  for (let i = 0; i < 26; i++)
    for (let j = 0; j < 26; j++) {
      const code = String.fromCharCode(A + i, A + j);
      let name: string | undefined;
      try {
        name = names.of(code);
      } catch {
        name = undefined;
      }
      if (name && name !== code && name !== 'Unknown Region') out.push({ code, name });
    }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
