import { AbilityBuilder, createMongoAbility, type MongoAbility, type MongoQuery } from '@casl/ability';
import { packRules } from '@casl/ability/extra';
import type { Actor } from './actor.ts';
import { accessRequestRules } from './subjects/access-request.ts';
import { auditRules } from './subjects/audit.ts';
import { communityRules } from './subjects/community.ts';
import { datasetRules } from './subjects/dataset.ts';
import { fileRules } from './subjects/file.ts';
import { grantRules } from './subjects/grant.ts';
import { licenceRules } from './subjects/licence.ts';
import { notificationRules } from './subjects/notification.ts';
import { releaseRules } from './subjects/release.ts';
import { tokenRules } from './subjects/token.ts';

export const actions = [
  'read',
  'create',
  'update',
  'publish',
  'withdraw',
  'complete',
  'download',
  'delete',
  'appoint',
  'accept',
  'request',
  'resubmit',
  'review',
  'suspend',
  'reinstate',
  'revoke',
  'renew',
  'verify',
  'waive',
  'reject',
  'submitEvidence',
  'registerDerivedWork',
] as const;
export type Action = (typeof actions)[number];
export type SubjectName =
  | 'Dataset'
  | 'Release'
  | 'File'
  | 'LicenceVersion'
  | 'AccessRequest'
  | 'Grant'
  | 'Obligation'
  | 'AuditEvent'
  | 'Report'
  | 'Community'
  | 'Token'
  | 'Notification'
  | 'all';
export type AppAbility = MongoAbility<
  [Action, SubjectName | { __caslSubjectType__?: SubjectName }],
  MongoQuery
>;

/** The token scope an act needs: `read` reads, `download` downloads, `request` is the requester's side, `manage` the steward's. */
export function scopeFor(
  action: Action,
  subjectType: SubjectName,
): 'read' | 'download' | 'request' | 'manage' {
  if (action === 'read') return 'read';
  if (action === 'download') return 'download';
  if (
    (subjectType === 'Dataset' && (action === 'accept' || action === 'request')) ||
    (subjectType === 'AccessRequest' && (action === 'withdraw' || action === 'resubmit')) ||
    (subjectType === 'Obligation' && action === 'submitEvidence') ||
    (subjectType === 'Grant' && action === 'registerDerivedWork')
  )
    return 'request';
  // Marking one's own notifications read changes nothing anyone else sees: any token that reads them may.
  if (subjectType === 'Notification') return 'read';
  return 'manage';
}

/** Builds the ability of an actor. Pure: no I/O, the same in the api and in the web app. */
export function defineAbilityFor(actor: Actor): AppAbility {
  const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
  communityRules(builder, actor);
  datasetRules(builder, actor);
  releaseRules(builder, actor);
  fileRules(builder, actor);
  tokenRules(builder, actor);
  licenceRules(builder, actor);
  accessRequestRules(builder, actor);
  grantRules(builder, actor);
  auditRules(builder, actor);
  notificationRules(builder, actor);
  if (actor.kind === 'user' && actor.token) {
    // Token scopes cut the user's rules down: every allowing rule keeps only the actions the token's
    // scopes cover. Dropping rules (rather than adding `cannot` rules) keeps token abilities small.
    const held = new Set<string>(actor.token.scopes);
    // Any token reads what its user may read. Managing tokens with a token would let a leaked token
    // mint more: never.
    const allowedFor = (subjectType: SubjectName, action: Action) =>
      action === 'read' || (subjectType !== 'Token' && held.has(scopeFor(action, subjectType)));
    builder.rules = builder.rules.flatMap((rule) => {
      if (rule.inverted) return [rule];
      const subjectTypes = [rule.subject].flat() as SubjectName[];
      const kept = ([rule.action].flat() as Action[]).filter((a) =>
        subjectTypes.every((st) => allowedFor(st, a)),
      );
      return kept.length ? [{ ...rule, action: kept }] : [];
    });
  }
  return builder.build();
}

/** The rules in CASL's packed form, for `GET /me` and the web app. */
export function packedRulesFor(ability: AppAbility) {
  return packRules(ability.rules as never);
}
