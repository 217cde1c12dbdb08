// What a file form is: how its files are named, how a file splits into sections, and what to tell a
// user about it. discover.ts and read.ts loop over the registry in ./index.ts; nothing else asks which
// form a migration has except through this interface.
import type { Direction, Section } from '../../types';

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

/** What a file name says, when a form claims it. */
export type NamedFile = NamedUp | NamedDown;

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
}
