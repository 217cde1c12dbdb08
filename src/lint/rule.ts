// The shape of a rule: its text and defaults, and a check per parse-node kind it looks at.
import type { Direction, Migration, Section, Statement } from '../types';
import type { NodeKind, NodeOf, QName } from './ast';
import type { Batch } from './batch';
import type { DatabaseFacts } from './facts';
import type { Severity } from '../types';

export interface RuleInfo {
  id: string;
  severity: Severity;
  /** The statement deletes data or objects. */
  destructive: boolean;
  /** One line: what goes wrong (which lock, for how long, what breaks). */
  why: string;
  /** One line: what to do instead. */
  safe: string;
}

export interface RuleContext {
  migration: Migration;
  section: Section;
  stmt: Statement;
  /** The section's statements, for rules about the section as a whole. */
  statements: readonly Statement[];
  /** The statement runs in a transaction block: a transactional section, or a file's own BEGIN in a transaction:false one. */
  inTransaction: boolean;
  batch: Batch;
  /** Which section this is: a down section runs when the migration is rolled back. */
  direction: Direction;
  /** What the database holds now, when linting with one; absent, rules assume the worst. */
  facts?: DatabaseFacts;
}

/** ALTER TABLE subcommands are checked one by one, in order, with their table. */
export interface CmdContext extends RuleContext {
  table: QName;
  /** The batch created the table: it is empty and nothing uses it yet. */
  tableIsNew: boolean;
}

/** What a check reports: the object named in words ("DROP TABLE users"), optionally with its own text. */
export type Hit = string | { what: string; severity?: Severity; why?: string; safe?: string };
export type Hits = Hit | Hit[] | undefined | false;

type Check<N, C> = (node: N, ctx: C) => Hits;

export type Visitors = {
  [K in NodeKind]?: Check<NodeOf<K>, K extends 'AlterTableCmd' ? CmdContext : RuleContext>;
} & {
  /** Every statement. */
  '*'?: Check<Statement, RuleContext>;
};

export interface Rule extends RuleInfo {
  /** Checks only sections of this direction (absent: both). */
  direction?: Direction;
  on: Visitors;
}
