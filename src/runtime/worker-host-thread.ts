import type { MessagePort } from 'node:worker_threads';
import type { CoordinatorCommand, WorkerSetup } from './job-runner.js';
import { runWorkerSession } from './worker-session.js';

/** Host → session control messages besides the coordinator's commands, and the session's last message. */
export type HostControl = { t: '$terminate' } | { t: '$exit'; code: number };

/** What a WorkerHost sends its threads: a new session with its control port and its ports to peer threads. */
export interface HostedSessionStart {
  t: 'session';
  data: WorkerSetup & { ports: (MessagePort | undefined)[] };
  control: MessagePort;
}

/** How long a terminated session's executor gets to stop before its ports are closed anyway. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * The body of a host thread: runs every session it is sent, each as a worker thread of its own would run, on this
 * one thread. A session ends with `$exit` on its control port: 0 after it finished, 1 after `$terminate`.
 */
export function hostSessions(parent: MessagePort | { on(e: 'message', f: (m: HostedSessionStart) => void): unknown }) {
  parent.on('message', (m: HostedSessionStart) => {
    if (m.t !== 'session') return;
    const control = m.control;
    let ended = false;
    const end = (code: number) => {
      if (ended) return;
      ended = true;
      control.postMessage({ t: '$exit', code } satisfies HostControl);
      control.close();
    };
    const session = runWorkerSession(
      m.data,
      {
        postMessage: (message) => {
          if (!ended) control.postMessage(message);
        },
        on: (_event, listener) =>
          control.on('message', (c: CoordinatorCommand | HostControl) => {
            if (c.t !== '$terminate' && c.t !== '$exit') listener(c);
          }),
      },
      () => end(0),
    );
    control.on('message', (c: CoordinatorCommand | HostControl) => {
      if (c.t === '$terminate') void session.stop(STOP_TIMEOUT_MS).finally(() => end(1));
    });
  });
}
