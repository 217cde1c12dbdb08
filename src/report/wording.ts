// Engine messages name settings by their CLI flags; a shell that names them otherwise (the action's
// inputs) wraps its sinks in inWordsOf(), which rewords every message an outcome, a plan or an event
// carries, once, before any destination sees it.
import type { Outcome } from '../commands/outcome';
import { forShell, type Shell } from '../settings';
import type { EngineEvent, MigrationError, Plan } from '../types';
import type { Sink } from './sink';

function plan(p: Plan, shell: Shell): Plan {
  return { ...p, problems: p.problems.map((x) => ({ ...x, message: forShell(x.message, shell) })) };
}

function failure(f: MigrationError, shell: Shell): MigrationError {
  return { ...f, hint: f.hint && forShell(f.hint, shell) };
}

function event(e: EngineEvent, shell: Shell): EngineEvent {
  if (e.type === 'connect-retry' || e.type === 'warning') return { ...e, message: forShell(e.message, shell) };
  if (e.type === 'step-failed') return { ...e, error: failure(e.error, shell) };
  return e;
}

export function reword(o: Outcome, shell: Shell): Outcome {
  const error = o.error;
  if (error) {
    error.message = forShell(error.message, shell);
    if ('problems' in error && Array.isArray(error.problems)) for (const p of error.problems) p.message = forShell(p.message, shell);
  }
  const result = o.result && { ...o.result, plan: plan(o.result.plan, shell), error: o.result.error && failure(o.result.error, shell) };
  return { ...o, error, plan: o.plan && plan(o.plan, shell), result };
}

export function inWordsOf(shell: Shell, sink: Sink): Sink {
  if (shell === 'cli') return sink;
  return {
    event: sink.event && ((e) => sink.event!(event(e, shell))),
    planned: sink.planned && ((p, review) => sink.planned!(plan(p, shell), review)),
    finished: (o) => sink.finished(reword(o, shell)),
  };
}
