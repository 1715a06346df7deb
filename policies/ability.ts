import { AbilityBuilder, createMongoAbility, type MongoAbility, type MongoQuery } from '@casl/ability';
import { packRules } from '@casl/ability/extra';
import type { Actor } from './actor.ts';
import { communityRules } from './subjects/community.ts';
import { datasetRules } from './subjects/dataset.ts';
import { fileRules } from './subjects/file.ts';
import { releaseRules } from './subjects/release.ts';
import { tokenRules } from './subjects/token.ts';

export type Action =
  | 'read'
  | 'create'
  | 'update'
  | 'publish'
  | 'withdraw'
  | 'complete'
  | 'download'
  | 'delete'
  | 'appoint';
export type SubjectName = 'Dataset' | 'Release' | 'File' | 'Community' | 'Token' | 'all';
export type AppAbility = MongoAbility<
  [Action, SubjectName | { __caslSubjectType__?: SubjectName }],
  MongoQuery
>;

/** What each token scope allows; actions outside every scope of a token are removed. */
const scopeActions: Record<string, Action[]> = {
  read: ['read'],
  download: ['download'],
  request: [],
  manage: ['create', 'update', 'publish', 'withdraw', 'complete', 'delete', 'appoint'],
};

/** Builds the ability of an actor. Pure: no I/O, the same in the api and in the web app. */
export function defineAbilityFor(actor: Actor): AppAbility {
  const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
  communityRules(builder, actor);
  datasetRules(builder, actor);
  releaseRules(builder, actor);
  fileRules(builder, actor);
  tokenRules(builder, actor);
  if (actor.kind === 'user' && actor.token) {
    const allowed = new Set(actor.token.scopes.flatMap((s) => scopeActions[s] ?? []));
    const all: Action[] = [
      'read',
      'create',
      'update',
      'publish',
      'withdraw',
      'complete',
      'download',
      'delete',
      'appoint',
    ];
    const denied = all.filter((a) => !allowed.has(a) && a !== 'read');
    // Managing one's own tokens with a token would let a leaked token mint more: never.
    builder.cannot(['create', 'delete'], 'Token');
    if (denied.length) builder.cannot(denied, 'all');
  }
  return builder.build();
}

/** The rules in CASL's packed form, for `GET /me` and the web app. */
export function packedRulesFor(ability: AppAbility) {
  return packRules(ability.rules as never);
}
