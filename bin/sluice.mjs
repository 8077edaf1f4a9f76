#!/usr/bin/env node
// The sluice command. Job files are TypeScript, so TypeScript loading is enabled before anything else.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
