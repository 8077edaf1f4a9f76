#!/usr/bin/env node
// The sluice command. Inside the repository (Node run with `--conditions=sluice-source`) the '#…' imports are the
// TypeScript sources; everywhere else they are the compiled JavaScript in dist/.
import '#register-loaders';

const { main } = await import('#cli-main');
process.exitCode = await main(process.argv.slice(2));
// The job has ended and reported. A Kafka client closed while one of its requests was being retried keeps retrying
// on its own timers for a while; that must not keep the finished process alive.
setTimeout(() => process.exit(), 2000).unref();
