/** The simulation core's public surface: pure functions and types, no I/O. */
export { simulateWorkload, simulateRun, fillSavedBytes, watermarkPages } from './simulation.js';
export type { SimulationHooks } from './simulation.js';
export * from './types.js';
export * from './errors.js';
export { newCostCounters, COST_COUNTERS, SUMMARY_COLUMNS, ROUND_COLUMNS } from './result-columns.js';
