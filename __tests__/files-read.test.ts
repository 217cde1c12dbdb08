// Unit tests of the file layer's small pieces (no database): text decoding and its error positions,
// version identity and order, and parser positions with multibyte text.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationFileError, readText } from '../src/files/read';
import { compareVersions, versionId } from '../src/files/version';
import { SqlSyntaxError, loadParser, splitStatements } from '../src/sql/split';
import { dirWith } from './helpers/files';

function fileWith(bytes: Buffer): string {
  const dir = dirWith({});
  const path = join(dir, '1_x.sql');
  writeFileSync(path, bytes);
  return path;
}

describe('readText', () => {
  test('drops a UTF-8 BOM and turns CRLF into LF', () => {
    const path = fileWith(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('SELECT 1;\r\nSELECT 2;\r\n')]));
    expect(readText(path)).toBe('SELECT 1;\nSELECT 2;\n');
  });

  test.each([
    ['Latin-1 é', Buffer.from("SELECT 1;\n\nSELECT 'caf\xe9';\n", 'latin1'), 3, 23],
    ['a UTF-16 surrogate encoded as UTF-8', Buffer.concat([Buffer.from('SELECT 1;\n-- '), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\n')]), 2, 14],
    ['an overlong encoding', Buffer.concat([Buffer.from('-- '), Buffer.from([0xe0, 0x80, 0xaf]), Buffer.from('\n')]), 1, 4],
    ['a sequence cut short at the end', Buffer.concat([Buffer.from('SELECT 1;\n'), Buffer.from([0xe2, 0x82])]), 2, 11],
  ])('names the line and byte of %s', (_what, bytes, line, byte) => {
    const path = fileWith(bytes);
    let err: unknown;
    try {
      readText(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MigrationFileError);
    expect((err as MigrationFileError).line).toBe(line);
    expect((err as MigrationFileError).message).toBe(`${path}:${line}: the file is not valid UTF-8 (byte ${byte}). Re-save it as UTF-8.`);
  });
});

describe('versions', () => {
  test('leading zeros, trailing .0 and _ vs . do not make a new version', () => {
    expect(versionId('001')).toBe(versionId('1'));
    expect(versionId('1.0')).toBe(versionId('1'));
    expect(versionId('1_2')).toBe(versionId('1.2'));
    expect(versionId('1.2')).not.toBe(versionId('1.20'));
  });

  test('order is numeric, part by part', () => {
    const sorted = ['10', '9', '2', '1.10', '1.9', '1', '20240101120000', '1.2.1'].sort(compareVersions);
    expect(sorted).toEqual(['1', '1.2.1', '1.9', '1.10', '2', '9', '10', '20240101120000']);
  });
});

describe('parser positions with multibyte text', () => {
  beforeAll(async () => {
    await loadParser();
  });
  const section = (sql: string, startLine = 10) => ({ sql, path: '/m/1_x.sql', startLine, transaction: true });

  test('statement lines and columns count characters after 2-, 3- and 4-byte characters', () => {
    const sql = "SELECT 'é€🎉'; SELECT 2;\n/* 🎉 */ SELECT 3;";
    const st = splitStatements(section(sql));
    expect(st.map((s) => [s.sql, s.line, s.column])).toEqual([
      ["SELECT 'é€🎉'", 10, 1],
      ['SELECT 2', 10, 15],
      ['SELECT 3', 11, Array.from('/* 🎉 */ ').length + 1],
    ]);
    // Offsets index the section's text.
    for (const s of st) expect(sql.slice(s.offset, s.offset + s.sql.length)).toBe(s.sql);
  });

  test('a syntax error after emoji is placed on the right line and character', () => {
    const sql = "-- 🎉🎉🎉\nSELECT '🎉' AS a,\n  '🎉🎉' AS b FORM t;";
    let err: unknown;
    try {
      splitStatements(section(sql, 3));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SqlSyntaxError);
    const e = err as SqlSyntaxError;
    expect([e.line, e.column]).toEqual([5, Array.from("  '🎉🎉' AS b ").length + 1]);
    expect(e.message).toContain('syntax error at or near "FORM"');
  });
});
