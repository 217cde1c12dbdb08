// `pgshift history` as a terminal table: one line per migration_history row, newest first.
import type { HistoryEntry } from '../commands/history';
import { formatMs } from './text';

/** A note (an error, a repair's reason) fits on its line: its first line, cut. */
const NOTE_CHARS = 80;

function noteOf(note: string | null): string {
  if (!note) return '';
  const first = note.split('\n').find((l) => l.trim()) ?? '';
  const line = first.trim() + (note.trim().includes('\n') ? ' …' : '');
  return line.length <= NOTE_CHARS ? line : `${line.slice(0, NOTE_CHARS - 1)}…`;
}

export function renderHistory(entries: readonly HistoryEntry[]): string {
  const header = ['WHEN (UTC)', 'VERSION', 'NAME', 'ACTION', 'STATUS', 'ENVIRONMENT', 'BY', 'DURATION', 'NOTE'];
  const rows = entries.map((e) => [
    e.executedAt.toISOString().replace('T', ' ').slice(0, 19),
    e.version,
    e.name ?? '',
    e.action,
    e.status,
    e.environment ?? '',
    e.executedBy ?? '',
    formatMs(e.executionTimeMs),
    noteOf(e.note),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
