import { createHash } from 'node:crypto';

/**
 * Text as pgshift reads it: no UTF-8 BOM, LF line ends, so a Windows checkout keeps its checksums. A
 * file with CR line ends only (classic Mac) is read as LF too; a CR in a file that has LF line ends is
 * left alone, so the checksums of files already applied never change.
 */
export function normaliseText(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // One scan for the usual file, which has no CR at all.
  if (!noBom.includes('\r')) return noBom;
  if (!noBom.includes('\n')) return noBom.replace(/\r/g, '\n');
  return noBom.includes('\r\n') ? noBom.replace(/\r\n/g, '\n') : noBom;
}

/** `sha256:<hex>` of an (already normalised) up section; the algorithm is stored with the digest. */
export function checksum(normalisedSql: string): string {
  return 'sha256:' + createHash('sha256').update(normalisedSql, 'utf8').digest('hex');
}
