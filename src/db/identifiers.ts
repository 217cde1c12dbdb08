/** Quotes an identifier (schema name) for SQL text; values always go as parameters instead. */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}
