// The engine's messages name CLI flags; in the action the same setting is an input.
import type { MigrationError, Plan } from '../types';

const FLAG_INPUTS: Record<string, string> = {
  'lock-wait': 'lock-wait',
  'lock-timeout': 'lock-timeout',
  'statement-timeout': 'statement-timeout',
  schema: 'tracking-schema',
  dir: 'migrations-dir',
  'database-url': 'database-url',
  target: 'target-version',
};

export function forAction(message: string): string {
  return message.replace(/(?<![\w-])--([a-z][a-z-]*)(?![\w-])/g, (flag, name: string) => (FLAG_INPUTS[name] ? `the ${FLAG_INPUTS[name]} input` : flag));
}

/** A plan whose problem messages speak of inputs rather than flags. */
export function planForAction(p: Plan): Plan {
  return { ...p, problems: p.problems.map((x) => ({ ...x, message: forAction(x.message) })) };
}

export function failureForAction(f: MigrationError | undefined): MigrationError | undefined {
  return f && { ...f, hint: f.hint && forAction(f.hint) };
}
