// What a shadow database proved about a plan's pending migrations: a verdict per migration (`pgshift
// verify`) and the schema changes they make (before → after). commands/verify.ts makes it; the report
// renders it (the PR comment's Verified column and Schema changes section, the ER diagram).
import type { MigrationError } from '../types';
import type { Difference } from './compare';
import type { SchemaModel } from './model';

export type VerdictKind = 'verified' | 'up-failed' | 'down-failed' | 'down-mismatch' | 'reapply-failed' | 'no-down' | 'skipped';

export interface Verdict {
  version: string;
  name: string;
  /** The migration's file (the up file). */
  path: string;
  verdict: VerdictKind;
  /** up-failed, down-failed, reapply-failed: the error at file:line:column. */
  error?: MigrationError;
  /**
   * down-mismatch: what the down left behind or removed too much, as differences from the schema before
   * the up (only-in-a: removed too much; only-in-b: left behind). reapply-failed with a mismatch: from A.
   */
  differences?: Difference[];
  /** skipped: why ("after 2 failed"). */
  reason?: string;
}

export interface ShadowProof {
  verdicts: Verdict[];
  /** From the schema before the pending migrations to the schema after them (on the shadow). */
  changes: Difference[];
  /** The schema after the pending migrations, for the ER diagram of the tables they add or change. */
  after: SchemaModel;
  /** The shadow server's major version, and the target's when a target was read: verdicts may differ between majors. */
  shadowMajor: number;
  targetMajor?: number;
  /** Set when the verdicts were judged (the action's verify): every one verified, or no-down where allowed. */
  verified?: boolean;
}

/** A verdict that fails the check: anything but verified, skipped-after-nothing, or no-down when that is allowed. */
export function failedVerdicts(proof: ShadowProof, allowNoDown: boolean): Verdict[] {
  return proof.verdicts.filter((v) => v.verdict !== 'verified' && !(v.verdict === 'no-down' && allowNoDown));
}
