// The one face the shells (CLI, action, HTTP) import: every command, and the types they need.
export { deploy, dryRun, failureMessage, type DeployRequest } from './deploy';
export { lintPaths, loadLintConfig, pendingPaths, withFindings } from './lint';
export { migrate, type MigrateOptions } from './migrate';
export { newMigration, timestampVersion } from './new';
export type { Outcome, OutcomeStatus, Review } from './outcome';
export { knownVersion, plan, type PlanOptions } from './plan';
export { checkGuard, isProtected, refusedFindings, type SafetySettings } from './policy';
export { resolve, type ResolveOptions } from './resolve';
export { defaultActor, type SessionOptions } from './session';
export { status, type StatusReport } from './status';
export type { Selection } from '../plan/plan';
export * from '../errors';
