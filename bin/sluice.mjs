#!/usr/bin/env node
// The sluice command. Job files are TypeScript, so TypeScript loading is enabled before anything else.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// The job has ended and reported. A Kafka client closed while one of its requests was being retried keeps retrying
// on its own timers for a while; that must not keep the finished process alive.
setTimeout(() => process.exit(), 2000).unref();
