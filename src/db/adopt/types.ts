// What adopting another tool's history needs from each tool: where its table is, how to tell it apart,
// and how its rows say what is applied. One reader per tool (./<tool>.ts), listed in ./index.ts.
import type { Sql, ReservedSql } from '../connect';

export const TOOLS = ['dbmate', 'golang-migrate', 'goose', 'sql-migrate', 'flyway', 'node-pg-migrate', 'prisma', 'supabase'] as const;
export type ToolId = (typeof TOOLS)[number];

/** A table found in the database: its schema, name and columns (in order). */
export interface FoundTable {
  schema: string;
  name: string;
  columns: string[];
}

/** One migration as the other tool's table records it. */
export interface ForeignEntry {
  /** A version (the tool keys by version) or a file or folder name (it keys by name). */
  key: string;
  by: 'version' | 'name';
  state: 'applied' | 'failed';
  /** For a failed row: what the tool recorded, and how to settle it. */
  note?: string;
  /** Flyway only: the CRC32 the tool stored, to compare with the file's. */
  flywayChecksum?: number | null;
  /** Flyway repeatable (R__<name>.sql): recorded only while its text is the one that ran. */
  repeatable?: boolean;
}

export interface ForeignHistory {
  entries: ForeignEntry[];
  /**
   * Every migration file with a version at or below this one counts as applied: golang-migrate keeps only
   * its current version; a Flyway baseline stands for everything up to it.
   */
  upTo?: { version: string; why: string };
  /** A state the other tool itself would refuse to go on from; adoption refuses with this recovery. */
  refusal?: string;
}

export interface Reader {
  tool: ToolId;
  /** The table's usual name (and schema, when the tool fixes it). */
  table: string;
  schema?: string;
  /** Whether a table of that name is this tool's (by its columns). */
  recognises(columns: string[]): boolean;
  read(sql: Sql | ReservedSql, table: FoundTable, files: { versions: string[] }): Promise<ForeignHistory>;
}

/** The table as SQL text: "public"."goose_db_version". */
export function qualified(t: Pick<FoundTable, 'schema' | 'name'>): string {
  return `"${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}"`;
}

/** The table as a person writes it: public.goose_db_version. */
export function shownTable(t: Pick<FoundTable, 'schema' | 'name'>): string {
  return `${t.schema}.${t.name}`;
}

export const hasColumns = (columns: string[], wanted: string[]) => wanted.every((c) => columns.includes(c));
