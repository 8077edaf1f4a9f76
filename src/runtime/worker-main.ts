import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { WorkerSetup } from './job-runner.js';
import { hostSessions } from './worker-host-thread.js';
import { runWorkerSession } from './worker-session.js';

/**
 * A worker thread: one thread's share of a job (see job-runner.ts for the protocol), or, started by a WorkerHost,
 * a host of several such shares (sessions) of any number of runs (worker-host.ts).
 */
const data = workerData as (WorkerSetup & { ports: (MessagePort | undefined)[] }) | { host: true };
const port = parentPort!;

if ('host' in data) hostSessions(port);
else {
  runWorkerSession(data, port, () => {
    port.close();
    // End this thread once what it printed is handed to the main thread, even if a library's timer (a Kafka
    // client's retry) would keep it alive; the coordinator waits for this exit instead of terminating the thread,
    // which would drop stdout not yet handed over.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(0)));
  });
}
