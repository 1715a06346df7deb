import type { Response } from 'express';
import type { accessTier } from '../../db/schema/enums.ts';
import { offerPath } from '../licences/licences.odrl.ts';

/**
 * AI-preference signals (DOMAIN.md, "Signals and metadata"), computed from facts already read with the
 * row a route serves, so that no route pays a round trip for them:
 *
 * - TDMRep (W3C Community Group, https://www.w3.org/community/reports/tdmrep/CG-FINAL-tdmrep-20240202/):
 *   `tdm-reservation: 1` when text-and-data-mining rights are reserved, with `tdm-policy` naming the
 *   ODRL Offer under which they may be licensed; `0` otherwise.
 * - IETF AI preferences (draft-ietf-aipref-vocab, draft-ietf-aipref-attach): `Content-Usage: train-ai=n|y`,
 *   only where the steward stated a preference.
 * - RFC 8288: `Link: <offer>; rel="license"`.
 */
export interface SignalFacts {
  /** The steward's public AI-use preference; null when unstated. */
  trainAi: boolean | null;
  /** The tier of what is served: a file's own (or inherited) tier, or the dataset's. */
  tier: (typeof accessTier.enumValues)[number];
  datasetSlug: string;
  /** The licence version in force (latest published), null when none. */
  licenceVersion: number | null;
}

/** Rights are reserved when the steward said train-ai=n or when access is anything but open. */
export const reserved = (f: Pick<SignalFacts, 'trainAi' | 'tier'>) =>
  f.trainAi === false || f.tier !== 'open';

/** The absolute URL of the Offer in force, or null. */
export const offerUrl = (publicUrl: string, f: Pick<SignalFacts, 'datasetSlug' | 'licenceVersion'>) =>
  f.licenceVersion == null ? null : `${publicUrl}${offerPath(f.datasetSlug, f.licenceVersion)}`;

/** The `Content-Usage` value (IETF aipref vocabulary), or null when the steward stated nothing. */
export const contentUsage = (trainAi: boolean | null) =>
  trainAi == null ? null : `train-ai=${trainAi ? 'y' : 'n'}`;

/** The signal headers for one served resource, as name → value. */
export function signalHeaders(publicUrl: string, f: SignalFacts): Record<string, string> {
  const out: Record<string, string> = {};
  const r = reserved(f);
  out['tdm-reservation'] = r ? '1' : '0';
  const offer = offerUrl(publicUrl, f);
  // TDMRep: a policy is only meaningful alongside a reservation.
  if (r && offer) out['tdm-policy'] = offer;
  const usage = contentUsage(f.trainAi);
  if (usage) out['Content-Usage'] = usage;
  if (offer) out.Link = `<${offer}>; rel="license"`;
  return out;
}

/** Sets the signal headers on a response (the one call routes make). */
export function setSignalHeaders(res: Response, publicUrl: string, f: SignalFacts): void {
  const h = signalHeaders(publicUrl, f);
  for (const k in h) res.setHeader(k, h[k]);
}
