export * from './access.ts';
export * from './audit.ts';
export * from './communities.ts';
export * from './datasets.ts';
export * from './enums.ts';
export * from './instance.ts';
export * from './reports.ts';
export * from './users.ts';
