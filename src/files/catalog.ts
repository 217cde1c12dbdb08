// The migrations directory as a lazily read catalog: file names are listed once, a file is read only
// when its checksum or its SQL is needed, and at most once per run.
import { discoverMigrations } from './discover';
import { MigrationFileError, readMigration } from './read';
import { versionId } from './version';
import type { Migration, MigrationFile, ValidationProblem } from '../types';

export class Catalog {
  /** Versioned migrations, by version. */
  readonly files: MigrationFile[];
  /** Repeatable migrations (Flyway R__), in the order they run after the versioned ones. */
  readonly repeatables: MigrationFile[];
  /** Problems found in file names (unmatched, duplicate versions, orphan downs). */
  readonly nameProblems: ValidationProblem[];
  private readonly byId = new Map<string, MigrationFile>();
  private readonly cache = new Map<MigrationFile, Migration | MigrationFileError>();

  constructor(readonly dir: string) {
    const found = discoverMigrations(dir);
    this.files = found.files;
    this.repeatables = found.repeatables;
    this.nameProblems = found.problems;
    for (const f of this.files) if (!this.byId.has(versionId(f.version))) this.byId.set(versionId(f.version), f);
    // "R__<name>" is not a version, so versionId leaves it as it is: no clash with a versioned file.
    for (const f of this.repeatables) this.byId.set(f.version, f);
  }

  find(version: string): MigrationFile | undefined {
    return this.byId.get(versionId(version));
  }

  /** The migration, or the file error that makes it unusable. */
  load(file: MigrationFile): Migration | MigrationFileError {
    let hit = this.cache.get(file);
    if (!hit) {
      try {
        hit = readMigration(file);
      } catch (err) {
        if (!(err instanceof MigrationFileError)) throw err;
        hit = err;
      }
      this.cache.set(file, hit);
    }
    return hit;
  }

  /** Checksum of a file's up section, or undefined when the file cannot be read. */
  checksum(file: MigrationFile): string | undefined {
    const m = this.load(file);
    return m instanceof MigrationFileError ? undefined : m.checksum;
  }
}

export function fileProblem(err: MigrationFileError, version?: string): ValidationProblem {
  return { kind: 'file', path: err.path, line: err.line, version, message: err.message, blocking: true };
}
