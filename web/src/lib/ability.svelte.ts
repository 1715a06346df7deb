import { createMongoAbility, subject } from '@casl/ability';
import { type PackRule, unpackRules } from '@casl/ability/extra';
import type { Action, AppAbility } from '$policies/ability.ts';
import type { SubjectShapes } from '$policies/subject.ts';
import { session } from './session.svelte';

export { draftReleaseOf, newFileOf, newLicenceOf } from '$policies/subject.ts';

let built: { rules: unknown; ability: AppAbility } | undefined;

/** The caller's ability, from the packed rules `GET /me` sent (rebuilt when they change). */
function ability(): AppAbility {
  const rules = session.me?.rules ?? [];
  if (built?.rules !== rules) {
    built = {
      rules,
      ability: createMongoAbility(unpackRules(rules as PackRule<never>[]) as never) as AppAbility,
    };
  }
  return built.ability;
}

/**
 * Whether to show a control: the same rules and the same subject fields as the API, so the page and the
 * API agree. Only a display decision: the API enforces every act itself.
 */
export function can<N extends keyof SubjectShapes>(
  action: Action,
  name: N,
  fields: SubjectShapes[N],
): boolean {
  return ability().can(action, subject(name, { ...fields }));
}
