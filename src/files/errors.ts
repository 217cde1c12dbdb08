// The error a file form raises for a file it cannot use; in its own module so that the forms and the
// reader that loops over them both import it without importing each other.

/** A file that cannot be used as a migration; carries the line to point at. */
export class MigrationFileError extends Error {
  constructor(
    readonly path: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`${path}${line ? `:${line}` : ''}: ${reason}`);
    this.name = 'MigrationFileError';
  }
}
