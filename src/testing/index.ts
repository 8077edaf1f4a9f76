/** Test utilities for Sluice jobs and operators: `import { OperatorTestHarness } from 'sluice/testing'`. */
export { type HarnessOptions, OperatorTestHarness, type OutputRecord } from './operator-test-harness.js';
