// The one face the shells (CLI, action, HTTP) import: every command, and the types they need.
export { deploy, dryRun, failureMessage, type DeployRequest } from './deploy';
export { askBeforeRun, confirmReason, describeImpact, type Confirmation, type ConfirmReason, type TableImpact } from './confirm';
export { databaseFacts, lintFiles, lintPaths, loadLintConfig, pendingPaths, withFindings, type FactsSource, type LintReport } from './lint';
export { parseNameStatus } from './baseline';
export { migrate, type MigrateOptions } from './migrate';
export { newMigration, timestampVersion } from './new';
export type { Outcome, OutcomeStatus, Review } from './outcome';
export { knownVersion, plan, type AssumedMigration, type PlanOptions } from './plan';
export { checkGuard, isProtected, refusedFindings, type SafetySettings } from './policy';
export { resolve, type ResolveOptions } from './resolve';
export { adopt, adoptThen, describeAdopt, TOOLS, type AdoptOptions, type AdoptReport, type ToolId } from './adopt';
export { baselineAt, describeBaseline, type BaselineOptions, type BaselineReport } from './baseline-version';
export { changedHistory, describeRepair, listCandidates, repair, repairThenDeploy, type RepairCandidate, type RepairOptions, type RepairReport } from './repair';
export { defaultActor, type SessionOptions } from './session';
export { status, type StatusReport } from './status';
export type { Selection } from '../plan/plan';
export * from '../errors';
export { resolveCredentials, type CredentialSources, type Credentials } from '../db/credentials';
