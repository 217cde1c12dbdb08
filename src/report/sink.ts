// Every destination of a report — the terminal, the action's log, summary, outputs, annotations, plan
// file, PR comment, failure issue, a webhook — is a Sink. A command reports to one sink; a shell
// composes the destinations it has with fanOut().
import type { Outcome, Review } from '../commands/outcome';
import type { EngineEvent, Plan } from '../types';

export interface Sink {
  /** Progress, as the engine works. */
  event?(e: EngineEvent): void;
  /** A plan on record before anything runs (a dry run's plan, or a protected deploy's). */
  planned?(plan: Plan, review: Review): void | Promise<void>;
  /** Exactly once per command. */
  finished(outcome: Outcome): void | Promise<void>;
}

/** One sink that reports to each of `sinks`, in order; async destinations are awaited one by one. */
export function fanOut(...sinks: Sink[]): Sink {
  return {
    event(e) {
      for (const s of sinks) s.event?.(e);
    },
    async planned(plan, review) {
      for (const s of sinks) await s.planned?.(plan, review);
    },
    async finished(outcome) {
      for (const s of sinks) await s.finished(outcome);
    },
  };
}
