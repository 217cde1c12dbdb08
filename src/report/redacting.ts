// Redact first, cut after: reports cut long SQL and messages to fit GitHub's limits, and a cut inside
// a password would leave part of it behind for a later redaction to miss. This Sink decorator redacts
// every string of a plan and an outcome before any destination renders (and cuts) them.
import type { Outcome, Review } from '../commands/outcome';
import type { Plan } from '../types';
import type { Redactor } from './redact';
import type { Sink } from './sink';

/** Parse trees and version keys hold no text a report shows; copying them would only cost time. */
const OPAQUE = new Set(['node', 'versionKey', 'parsed']);

/** A copy of `value` with every string redacted; class instances (errors) keep their prototype. */
export function redactDeep<T>(value: T, redact: (text: string) => string, seen = new Map<object, unknown>()): T {
  if (typeof value === 'string') return redact(value) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (seen.has(value)) return seen.get(value) as T;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(redactDeep(item, redact, seen));
    return out as T;
  }
  const out = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) out[k] = OPAQUE.has(k) ? v : redactDeep(v, redact, seen);
  if (value instanceof Error) {
    // An error's message and stack are own properties that Object.entries does not list.
    out.message = redact(value.message);
    if (value.stack) out.stack = redact(value.stack);
  }
  return out as T;
}

export function redactedFor(redactor: Redactor, sink: Sink): Sink {
  const redact = (text: string) => redactor.redact(text);
  return {
    event: sink.event && ((e) => sink.event!(e)),
    planned:
      sink.planned &&
      ((plan: Plan, review: Review) => {
        // One copy of both, so a finding in the plan and the same finding in the review stay one object.
        const [p, r] = redactDeep([plan, review] as const, redact);
        return sink.planned!(p, r);
      }),
    finished: (o: Outcome) => sink.finished(redactDeep(o, redact)),
  };
}
