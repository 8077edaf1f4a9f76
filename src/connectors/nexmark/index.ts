/** Nexmark: the online-auction benchmark's data model, a seeded event generator and a parallel source. */
export { type NexmarkEventReader, type NexmarkFields, nexmarkEventReader, toNexmarkEvent } from './event-validation.js';
export * from './generator-config.js';
export * from './model.js';
export { NexmarkGenerator, nexmarkEvent } from './nexmark-generator.js';
export { NexmarkSource, type NexmarkSourceOptions } from './nexmark-source.js';
