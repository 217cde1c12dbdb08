// What a file form is: how its files are named, how a file splits into sections, and what to tell a
// user about it. discover.ts and read.ts loop over the registry in ./index.ts; nothing else asks which
// form a migration has except through this interface.
import type { Direction, Section, Statement } from '../../types';
import type { Marker } from './shared';

/** An up file, as its name says; `pairKey` is shared with its down file in forms that keep downs apart. */
export interface NamedUp {
  version: string;
  name: string;
  role: 'up';
  pairKey?: string;
}

/** A separate down file (pair, Flyway undo); `pairKey` is the one its up file has. */
export interface NamedDown {
  version: string;
  name: string;
  role: 'down';
  pairKey: string;
}

/**
 * A repeatable migration (Flyway `R__<name>.sql`): no version of its own; it runs after the versioned
 * ones whenever it is new or its text changed. `version` is its identity in the tracking table.
 */
export interface NamedRepeatable {
  version: string;
  name: string;
  role: 'repeatable';
}

/** What a file name says, when a form claims it. */
export type NamedFile = NamedUp | NamedDown | NamedRepeatable;

/** A migration's sections as its form reads them. */
export interface FormSections {
  up: Section;
  down?: Section;
  /** The file's lines above the up section (a dbmate file's lines above "-- migrate:up"); their lint directives apply to the whole file. */
  preamble?: string[];
}

/** A separate down file (pair and Flyway forms), read only if the up file is fine. */
export interface DownFile {
  path: string;
  text(): string;
}

/** How a migration asks to run outside a transaction. */
export interface NoTransactionHeader {
  /** The line to write ("-- migrate:up transaction:false", "-- pgshift:no-transaction"). */
  line: string;
  /** true when the line is the section's own header (it replaces "-- migrate:up"); false when it is a line of its own at the top of the file. */
  isSectionHeader: boolean;
}

export interface Form {
  /** Stored as `MigrationFile.form`: 'dbmate' | 'pair' | 'flyway' | 'plain' | ... */
  id: string;
  /** What the file name says, or undefined when it is not one of this form's names. Nothing is read. */
  claims(fileName: string): NamedFile | undefined;
  /**
   * Splits the (normalised) text of the up file, plus the down file when the form has one. Returns
   * undefined when the text is not in this form (a dbmate-named file with no markers): the next form in
   * the registry then reads it. Throws MigrationFileError naming the line.
   */
  sections(path: string, text: string, down?: DownFile): FormSections | undefined;
  noTransactionHeader(direction: Direction): NoTransactionHeader;
  /** The up file's text for `pgshift new` in this form. */
  template(name: string): string;
  /** How its files are named, for the hint on a .sql file no form claims ("V<version>__<name>.sql"); absent when another form's names say it. */
  fileNames?: string;
  /** Why a name this form recognises but does not run is refused ("Flyway repeatable migrations are not supported"), for that hint. */
  unsupported?(fileName: string): string | undefined;
  /** How to give a migration of this form a down, for the refusal of a rollback past one that has none. */
  addDown?: string;
  /** The tool the form comes from, as messages name it ("goose", "Flyway"); the id when absent. */
  tool?: string;
  /**
   * The first line of the text that is one of this form's markers, as its tool matches them (a cheap
   * line scan). Forms without markers leave it out. A file whose markers belong to a form its name
   * does not fit, or to two forms, is refused before anything runs.
   */
  marker?(text: string): Marker | undefined;
  /**
   * The form whose file names this one shares ('dbmate' for goose, sql-migrate, node-pg-migrate and
   * plain): discovery gives such a file to that form, and reading gives it to the form its markers name.
   */
  readsNamesOf?: string;
  /**
   * For a .sql name no form claims: claims the file from its text (sql-migrate accepts any *.sql name).
   * Called only for such names, so discovery still reads no other file. Throws MigrationFileError for a
   * file that is this form's but cannot be used.
   */
  peek?(fileName: string, text: () => string): NamedFile | undefined;
  /**
   * The first statement that makes this form's tool run the whole section without a transaction
   * (Flyway: CREATE INDEX CONCURRENTLY, VACUUM, ...), or undefined. Only forms whose tool decides so
   * by itself have it; the others say so with a header.
   */
  outsideTransaction?(statements: Statement[]): Statement | undefined;
}
