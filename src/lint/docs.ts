// Where the lint rules are documented: pgshift's own repository (package.json's "repository"), never the
// user's, and always an absolute URL, so a rule's link works wherever a finding is shown (the terminal, a
// PR comment, an issue, an annotation), none of which sits next to a docs/ folder.
export const PGSHIFT_REPOSITORY = 'https://github.com/pgshift/pgshift';
export const RULES_DOCS = `${PGSHIFT_REPOSITORY}/blob/main/docs/rules.md`;

/** The documentation of one rule: its section of docs/rules.md. */
export function ruleDocs(rule: string): string {
  return `${RULES_DOCS}#${rule}`;
}
