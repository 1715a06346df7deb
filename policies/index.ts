export * from './ability.ts';
export * from './actor.ts';
export type * from './subjects/types.ts';
export { subject } from '@casl/ability';
