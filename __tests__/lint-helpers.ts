// Builds in-memory migrations for the linter tests: no files, no database.
import { lintSections } from '../src/lint/lint';
import type { Finding, LintConfig } from '../src/types';
import type { Migration, MigrationForm, Section } from '../src/types';

export interface SectionOptions {
  transaction?: boolean;
  /** File line on which the SQL starts (2 for a dbmate file's up section right under its header). */
  startLine?: number;
  form?: MigrationForm;
}

export function item(sql: string, version = 1, opts: SectionOptions = {}): { migration: Migration; section: Section } {
  const path = `/migrations/${version}_m${version}.sql`;
  const section: Section = { sql, path, startLine: opts.startLine ?? 1, transaction: opts.transaction ?? true };
  const migration: Migration = { version: String(version), versionKey: [BigInt(version)], name: `m${version}`, form: opts.form ?? 'plain', upPath: path, up: section, checksum: 'sha256:test' };
  return { migration, section };
}

/** Lints one migration, or several (one per string) as a batch in order. */
export function lint(sql: string | string[], opts: SectionOptions = {}, config?: LintConfig): Finding[] {
  const sqls = Array.isArray(sql) ? sql : [sql];
  return lintSections(
    sqls.map((s, i) => item(s, i + 1, opts)),
    config,
  );
}

export const rulesOf = (findings: Finding[]) => findings.map((f) => f.rule);
