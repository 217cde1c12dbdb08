// Flyway: flyway_schema_history(installed_rank, version, description, type, script, checksum, installed_by,
// installed_on, execution_time, success), read in installed_rank order as Flyway reads it: a versioned
// row applies its version (or, unsuccessful, leaves it failed); an UNDO_ row takes it back; a DELETE row
// (written by `flyway repair`) forgets it; a BASELINE row stands for every version up to its own; SCHEMA
// rows are Flyway's own. Rows without a version are repeatable migrations (R__<name>.sql): the latest
// successful one per script counts, with the CRC32 it ran with.
import { basename } from 'node:path';
import { compareVersions } from '../../files/version';
import { qualified, shownTable, type ForeignEntry, type Reader } from './types';

interface Row {
  rank: number;
  version: string | null;
  type: string;
  script: string;
  checksum: number | null;
  success: boolean;
  installed: Date | null;
}

export const flyway: Reader = {
  tool: 'flyway',
  table: 'flyway_schema_history',
  recognises: (columns) => ['installed_rank', 'version', 'script', 'success'].every((c) => columns.includes(c)),
  async read(sql, table) {
    const rows = await sql.unsafe<Row[]>(`select installed_rank as rank, version, type, script, checksum, success, installed_on as installed from ${qualified(table)} order by installed_rank`);
    const versioned = new Map<string, ForeignEntry>();
    const repeatables = new Map<string, ForeignEntry | undefined>();
    let baseline: string | undefined;
    for (const r of rows) {
      const type = r.type.toUpperCase();
      if (type === 'SCHEMA') continue;
      if (r.version === null) {
        // A repeatable: the last run decides; one that failed is run again by Flyway, and by pgshift.
        const identity = basename(r.script).replace(/\.sql$/i, '');
        repeatables.set(identity, r.success ? { key: identity, by: 'version', state: 'applied', flywayChecksum: r.checksum, repeatable: true } : undefined);
        continue;
      }
      if (type === 'BASELINE') {
        if (r.success && (!baseline || compareVersions(r.version, baseline) > 0)) baseline = r.version;
        continue;
      }
      if (type === 'DELETE' || (type.startsWith('UNDO_') && r.success)) {
        versioned.delete(r.version);
        continue;
      }
      if (r.success) versioned.set(r.version, { key: r.version, by: 'version', state: 'applied', flywayChecksum: r.checksum });
      else {
        versioned.set(r.version, {
          key: r.version,
          by: 'version',
          state: 'failed',
          note: `adopted from flyway: ${shownTable(table)} records ${type.startsWith('UNDO_') ? 'the undo of ' : ''}${r.script} as failed (installed_rank ${r.rank}${r.installed ? `, ${r.installed.toISOString()}` : ''}); Flyway would refuse to migrate until "flyway repair" removed the row`,
        });
      }
    }
    const entries = [...versioned.values(), ...[...repeatables.values()].filter((e): e is ForeignEntry => !!e)];
    return { entries, upTo: baseline ? { version: baseline, why: `Flyway's baseline is version ${baseline}` } : undefined };
  },
};

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/**
 * The checksum Flyway stores for a SQL script: CRC32 over the UTF-8 bytes of each line read with Java's
 * BufferedReader.readLine (line ends dropped, a BOM dropped from the first line), as a signed 32-bit int.
 */
export function flywayChecksum(text: string): number {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  let crc = -1;
  for (const byte of Buffer.from(lines.join(''), 'utf8')) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) | 0;
}
