export * from './ability.ts';
export * from './actor.ts';
export * from './sql.ts';
export * from './subject.ts';
export type * from './subjects/types.ts';
