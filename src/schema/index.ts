// The schema model: inspect a live database, compare two models, render one as text.
export * from './model';
export { inspect, OTHER_TOOLS_TABLES } from './inspect';
export { compare, describeDifference, realDifferences, shortName, BEFORE_AFTER, EXPECTED_ACTUAL, type Difference, type ObjectKind, type Words } from './compare';
export { render } from './render';
export { failedVerdicts, type ShadowProof, type Verdict, type VerdictKind } from './proof';
