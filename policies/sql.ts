import { rulesToAST } from '@casl/ability/extra';
import { and, eq, inArray, ne, not, notInArray, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Action, AppAbility, SubjectName } from './ability.ts';

/** The columns (or SQL expressions) a subject's rule fields map to. Fields not listed are refused. */
export type FieldColumns = Record<string, AnyPgColumn | SQL>;

interface AstNode {
  operator: string;
  field?: string;
  value: unknown;
}

const TRUE = sql`true`;
const FALSE = sql`false`;

/** Columns and SQL expressions both work with drizzle's operators; typed as SQL for one overload. */
function column(columns: FieldColumns, field: string | undefined): SQL {
  const c = field ? columns[field] : undefined;
  if (!c) throw new Error(`policy field "${field}" has no column mapping`);
  return c as SQL;
}

/** Translates one node of CASL's condition AST into SQL, with the same meaning as the in-memory check. */
export function astToSql(node: AstNode, columns: FieldColumns): SQL {
  switch (node.operator) {
    case 'and': {
      const parts = (node.value as AstNode[]).map((n) => astToSql(n, columns));
      return parts.length ? (and(...parts) as SQL) : TRUE;
    }
    case 'or': {
      const parts = (node.value as AstNode[]).map((n) => astToSql(n, columns));
      return parts.length ? (or(...parts) as SQL) : FALSE;
    }
    case 'not':
      return not(astToSql(node.value as AstNode, columns));
    case 'eq':
      return eq(column(columns, node.field), node.value);
    case 'ne':
      // Conditioned columns are NOT NULL, so SQL `<>` agrees with CASL's $ne.
      return ne(column(columns, node.field), node.value);
    case 'in': {
      const values = node.value as unknown[];
      return values.length ? inArray(column(columns, node.field), values) : FALSE;
    }
    case 'nin': {
      const values = node.value as unknown[];
      return values.length ? notInArray(column(columns, node.field), values) : TRUE;
    }
    default:
      throw new Error(`policy operator "${node.operator}" has no SQL translation`);
  }
}

/**
 * The SQL `where` that selects exactly the rows `ability` allows `action` on: lists are filtered in
 * the database from the same rules that decide single objects, never in JavaScript after loading.
 */
export function accessibleWhere(
  ability: AppAbility,
  action: Action,
  subjectType: SubjectName,
  columns: FieldColumns,
): SQL {
  const ast = rulesToAST(ability, action, subjectType) as AstNode | null;
  if (!ast) return FALSE;
  return astToSql(ast, columns);
}
