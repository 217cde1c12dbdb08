// The safety net in words, once for every destination: what a deploy will do (a plan), and what it did
// (the backup, the health checks, the automatic rollback). Lines are plain sentences; markdown wraps them.
import type { AutoRollback, BackupReport, HealthResult, SafetyNet } from '../types';
import { formatBytes, formatMs } from './text';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const list = (vs: string[]) => vs.map((v) => `\`${v}\``).join(', ');

/** What the backup holds, in a few words. */
export function backupWhat(mode: 'auto' | 'full', tables: string[]): string {
  if (mode === 'full') return 'the whole database';
  return tables.length ? `the schema and the rows of ${tables.join(', ')}` : 'the schema only (nothing pending drops, empties or rewrites data)';
}

/** The net a deploy will use, as markdown bullet lines (the PR comment, the plan on record). */
export function netPlanLines(n: SafetyNet, pending: number): string[] {
  const out = ['', '### Safety net', ''];
  out.push(
    n.backup === 'none'
      ? '- **Backup:** none.'
      : `- **Backup** before anything is applied (\`pg_dump\`, ${n.backup}): ${backupWhat(n.backup, n.backupTables)}${n.backup === 'auto' && n.backupTables.length ? ' (as the migrations name them)' : ''}.`,
  );
  if (n.health.length) out.push(`- **Health check** after the run: ${n.health.map((h) => `${h.kind === 'sql' ? 'query' : 'URL'} \`${h.target.replace(/`/g, "'")}\``).join(' and ')}.`);
  if (!n.rollbackOnFailure) out.push('- **Automatic rollback:** off: a failure leaves what the run applied before it in place.');
  else if (!pending) out.push('- **Automatic rollback:** on (nothing pending to roll back).');
  else {
    const when = n.health.length ? 'If a migration or the health check fails' : 'If a migration fails';
    if (n.reversible.length)
      out.push(
        `- ${when}, ${n.reversible.length === pending ? `these ${plural(pending, 'migration')}` : plural(n.reversible.length, 'migration')} will be rolled back, newest first: ${list(n.reversible)}.`,
      );
    for (const i of n.irreversible) out.push(`- ⚠️ \`${i.version}\` ${i.name} **cannot be rolled back automatically**: ${i.why}.`);
  }
  return out;
}

/** "✅ query `select …`: true (1 try, 12 ms)". */
export function healthWords(h: HealthResult): string {
  return `${h.passed ? '✅' : '❌'} ${h.kind === 'sql' ? 'query' : 'URL'} \`${h.target.replace(/`/g, "'")}\`${h.afterRollback ? ' (after the rollback)' : ''}: ${h.returned} (${plural(h.tries, 'try', 'tries')}, ${formatMs(h.durationMs)})`;
}

/** What the rollback did, first what is still applied when it stopped. */
export function rollbackWords(rb: AutoRollback): string[] {
  const out: string[] = [];
  if (rb.error)
    out.push(
      `❌ **The automatic rollback did not finish**: ${rb.stillApplied.length ? `${list(rb.stillApplied)} ${rb.stillApplied.length === 1 ? 'is' : 'are'} still applied` : 'nothing this run applied is left'}. ${rb.error}`,
    );
  out.push(`↩️ **Rolled back automatically** because ${rb.reason}: ${rb.rolledBack.length ? list(rb.rolledBack) : 'nothing'}${rb.rolledBack.length ? ' (newest first)' : ''}.`);
  if (!rb.error && rb.stillApplied.length) out.push(`⚠️ Still applied (could not be rolled back automatically): ${list(rb.stillApplied)}.`);
  return out;
}

/** The backup, its size and how to restore it. */
export function backupWords(b: BackupReport): string[] {
  return [`💾 Backup \`${b.file}\` (${formatBytes(b.bytes)}, ${backupWhat(b.mode, b.dataTables)}; ${formatMs(b.durationMs)}). To restore it:`, '', '```sh', b.restoreCommand, '```'];
}

/** The net's results as markdown lines (the step summary, the failure issue); empty when it did nothing. */
export function netRunLines(o: { backup?: BackupReport; health?: HealthResult[]; rollback?: AutoRollback }): string[] {
  const out: string[] = [];
  if (o.rollback) out.push(...rollbackWords(o.rollback).flatMap((l) => [l, '']));
  if (o.health?.length) out.push('**Health checks**', '', ...o.health.map((h) => `- ${healthWords(h)}`), '');
  if (o.backup) out.push(...backupWords(o.backup), '');
  return out.length ? ['', ...out] : [];
}

/** "1.2 MB, the schema and the rows of public.users (14 entries)". */
export function backupLine(b: BackupReport): string {
  return `${formatBytes(b.bytes)}, ${backupWhat(b.mode, b.dataTables)}`;
}

/** "✓ health sql: true (1 try, 12 ms)". */
export function healthLine(h: HealthResult): string {
  return `${h.passed ? '✓' : '✗'} health${h.afterRollback ? ' after rollback' : ''}  ${h.kind} ${h.target.length > 60 ? `${h.target.slice(0, 57)}…` : h.target}: ${h.returned} (${h.tries} ${h.tries === 1 ? 'try' : 'tries'}, ${formatMs(h.durationMs)})`;
}
