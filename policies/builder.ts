import type { AbilityBuilder } from '@casl/ability';
import type { AppAbility } from './ability.ts';

export type RuleBuilder = Pick<AbilityBuilder<AppAbility>, 'can' | 'cannot'>;
