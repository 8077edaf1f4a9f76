#!/usr/bin/env node
// The sluice command. In a checkout of the repository it runs the TypeScript sources; installed, the compiled
// JavaScript in dist/ (the published package has no src/).
import { existsSync } from 'node:fs';

const home = existsSync(new URL('../src/cli/main.ts', import.meta.url)) ? '../src' : '../dist';
await import(`${home}/runtime/register-loaders.mjs`);
const { main } = await import(`${home}/cli/main.${home === '../src' ? 'ts' : 'js'}`);
process.exitCode = await main(process.argv.slice(2));
// The job has ended and reported. A Kafka client closed while one of its requests was being retried keeps retrying
// on its own timers for a while; that must not keep the finished process alive.
setTimeout(() => process.exit(), 2000).unref();
