import { createHash } from 'node:crypto';

/** Text as pgshift reads it: no UTF-8 BOM, LF line ends, so a Windows checkout keeps its checksums. */
export function normaliseText(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.includes('\r\n') ? noBom.replace(/\r\n/g, '\n') : noBom;
}

/** `sha256:<hex>` of an (already normalised) up section; the algorithm is stored with the digest. */
export function checksum(normalisedSql: string): string {
  return 'sha256:' + createHash('sha256').update(normalisedSql, 'utf8').digest('hex');
}
