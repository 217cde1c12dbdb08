// Reads a migration's file(s) into sections. Cheap line scanning only: the SQL parser runs later, and
// only on the sections that will run. How a file splits into sections is its form's business (./forms).
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Migration, MigrationFile } from '../types';
import { checksum, normaliseText } from './checksum';
import { MigrationFileError } from './errors';
import { familyOf, FORMS, formById, markersIn, toolOf, type Form, type FormSections } from './forms';
import { isBlankSql } from './forms/shared';

export { MigrationFileError };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** One buffer reused for every read: a deploy reads thousands of small files, once each. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * The file's bytes, valid until the next call. open/read/close without readFileSync's fstat and
 * per-file allocation: measurably faster over 10,000 applied files.
 */
function readBytes(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      if (length === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, length);
        scratch = bigger;
      }
      const wanted = scratch.length - length;
      const n = readSync(fd, scratch, length, wanted, null);
      length += n;
      // A regular file's short read is its end: no second read just to see 0 bytes.
      if (n < wanted) return scratch.subarray(0, length);
    }
  } finally {
    closeSync(fd);
  }
}

/** What is wrong with a file the system would not read, in words, with what to do about it. */
function unreadable(path: string, err: NodeJS.ErrnoException): MigrationFileError {
  switch (err.code) {
    case 'ENOENT': {
      let target: string | undefined;
      try {
        target = readlinkSync(path);
      } catch {
        // Not a link: the file went away after the directory was listed.
      }
      return new MigrationFileError(
        path,
        undefined,
        target === undefined
          ? 'the file disappeared while pgshift was reading the directory. Run again.'
          : `the file is a symbolic link to ${target}, which does not exist. Point the link at the migration file, or delete it.`,
      );
    }
    case 'ELOOP':
      return new MigrationFileError(path, undefined, 'the file is a symbolic link that loops (following it leads back to a link already followed). Point it at the migration file, or delete it.');
    case 'EACCES':
    case 'EPERM':
      return new MigrationFileError(path, undefined, `the file cannot be read: permission denied to the user running pgshift. Make it readable (chmod a+r ${path}).`);
    case 'EISDIR':
      return new MigrationFileError(path, undefined, 'this is a directory, not a migration file. Rename it, or move the migration out of it.');
    default:
      return new MigrationFileError(path, undefined, `the file cannot be read (${err.code ?? 'error'}: ${err.message}).`);
  }
}

function isErrno(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

export function readText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readBytes(path);
  } catch (err) {
    throw isErrno(err) ? unreadable(path, err) : err;
  }
  // Postgres reads a query up to its first NUL: whatever follows would be dropped without a word.
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const line = normaliseText(bytes.subarray(0, nul).toString('utf8')).split('\n').length;
    throw new MigrationFileError(
      path,
      line,
      `the file holds a NUL byte (byte ${nul + 1}): Postgres would stop reading the SQL there and drop the rest. Remove it; if the file was saved as UTF-16, re-save it as UTF-8.`,
    );
  }
  try {
    return normaliseText(decoder.decode(bytes));
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, bad).toString('latin1').split('\n').length;
    throw new MigrationFileError(path, line, `the file is not valid UTF-8 (byte ${bad + 1}). Re-save it as UTF-8.`);
  }
}

/** Offset of the first byte that breaks UTF-8, found by one linear scan (only on the error path). */
function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF: well-formed bytes, still invalid.
    const second = bytes[i + 1];
    if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f)) return i;
    i += need + 1;
  }
  return 0;
}

export { isBlankSql };

/** How the file is named, for a message: "V1__x.sql is named as a Flyway migration (V<version>__<name>.sql)". */
function namedAs(file: MigrationFile, form: Form): string {
  const where = form.id === 'prisma' ? `${basename(dirname(file.upPath))}/${basename(file.upPath)}` : basename(file.upPath);
  return `${where} is named as a ${toolOf(form)} migration${form.fileNames ? ` (${form.fileNames})` : ''}`;
}

/**
 * The form that reads this file: the one its markers belong to, which must be one whose names the file
 * carries. Markers of two forms, or of a form the name does not fit, are refused before anything runs:
 * each tool would read the file differently, and one of them would run a down as part of an up.
 */
function markedForm(file: MigrationFile, path: string, text: string): Form | undefined {
  // By line, so that the refusal points at the later marker, the one that does not belong.
  const found = markersIn(text).sort((a, b) => a.line - b.line);
  if (found.length > 1) {
    const [a, b] = found;
    throw new MigrationFileError(
      path,
      b.line,
      `"${b.text}" is a ${toolOf(b.form)} marker, but line ${a.line} ("${a.text}") is a ${toolOf(a.form)} one: a file holds the markers of one form only. Keep the markers of the tool that wrote the file and make the others plain comments.`,
    );
  }
  if (found.length === 0) return undefined;
  const [{ form, line, text: marker }] = found;
  const named = formById(file.form);
  if (familyOf(form) !== familyOf(named)) {
    const rename = form.fileNames ?? formById(familyOf(form)).fileNames;
    throw new MigrationFileError(
      path,
      line,
      `"${marker}" is a ${toolOf(form)} marker, but ${namedAs(file, named)}, which ${toolOf(form)} markers do not belong in. Rename the file${rename ? ` to ${rename}` : ''} if it is a ${toolOf(form)} migration, or remove the marker.`,
    );
  }
  return form;
}

/** Reads and checks one migration. Throws MigrationFileError naming the file and line. */
export function readMigration(file: MigrationFile): Migration {
  const text = readText(file.upPath);
  const downPath = file.downPath;
  // A separate down file holds no form's markers either (a "-- +goose Down" in a .down.sql would be read as SQL).
  const downFile = downPath
    ? {
        path: downPath,
        text: () => {
          const down = readText(downPath);
          markedForm(file, downPath, down);
          return down;
        },
      }
    : undefined;
  let form = markedForm(file, file.upPath, text) ?? formById(file.form);
  let sections: FormSections | undefined;
  // A form that declines the text (dbmate without markers) hands it to the next form in the registry.
  for (let i = FORMS.indexOf(form); !(sections = form.sections(file.upPath, text, downFile));) {
    form = FORMS[++i];
    if (!form) throw new Error(`internal: no file form reads ${file.upPath}`);
  }
  const { up, preamble } = sections;
  let { down } = sections;
  if (isBlankSql(up.sql)) {
    // Point at the section's header (a dbmate "-- migrate:up"; the line after it may not exist), or line 1.
    throw new MigrationFileError(file.upPath, Math.max(1, up.startLine - 1), 'the up migration is empty. Write its SQL, or delete the file.');
  }
  // A down that is there but holds no SQL is the tool's "nothing to undo" (dbmate and golang-migrate run
  // it as a no-op): rolling back runs nothing. Only a migration with no down at all is irreversible.
  if (down && isBlankSql(down.sql)) down = { ...down, empty: true };
  return { ...file, form: form.id, up, down, checksum: checksum(up.sql), preamble };
}
