import { ConfigError } from '../errors';

const UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** "10s", "500ms", "2min", "1h", or a bare number of seconds → milliseconds. `name` is the flag or input. */
export function parseDuration(text: string, name: string): number {
  const m = text.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)?$/i);
  if (!m) throw new ConfigError(`${name} ${text} is not a duration: use a number with a unit, like 10s, 500ms or 2min.`);
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? 's').toLowerCase()]);
}
