import { useState } from 'preact/hooks';
import { api } from '../api';

type Message = { kind: 'ok' | 'error'; text: string } | undefined;

/** Polls a savepoint's status until it ends; resolves to its location or rejects with its failure. */
async function awaitSavepoint(jid: string, requestId: string): Promise<string> {
  for (;;) {
    const s = await api.savepointStatus(jid, requestId);
    if (s.status?.id !== 'IN_PROGRESS') {
      const cause = s.operation?.['failure-cause'];
      if (cause !== undefined) throw new Error(typeof cause === 'string' ? cause : (cause['stack-trace'] ?? 'failed'));
      return s.operation?.location ?? '(no location given)';
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Cancel (asks once more before it sends), savepoint (optionally to a directory; reports where it was written) and
 * rescale (to a new parallelism) for a job that is still running. `onDone` refreshes the job page.
 */
export function JobActions({
  jid,
  parallelism,
  onDone,
}: {
  jid: string;
  parallelism: number | undefined;
  onDone: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [dir, setDir] = useState('');
  const [scale, setScale] = useState(String(parallelism ?? 1));
  const [message, setMessage] = useState<Message>(undefined);

  const act = async (what: string, f: () => Promise<string>) => {
    setBusy(true);
    setMessage(undefined);
    try {
      setMessage({ kind: 'ok', text: await f() });
      onDone();
    } catch (e) {
      setMessage({ kind: 'error', text: `${what} failed: ${e instanceof Error ? e.message : String(e)}` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="actions">
      {confirming ? (
        <>
          <button
            type="button"
            class="danger"
            name="confirm-cancel"
            disabled={busy}
            onClick={() => {
              setConfirming(false);
              void act('Cancel', async () => {
                await api.cancel(jid);
                return 'Cancel requested.';
              });
            }}
          >
            Really cancel
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep running
          </button>
        </>
      ) : (
        <button type="button" class="danger" name="cancel" disabled={busy} onClick={() => setConfirming(true)}>
          Cancel job
        </button>
      )}
      <span class="action-group">
        <input
          name="savepoint-dir"
          placeholder="savepoint directory (default: the job's)"
          value={dir}
          onInput={(e) => setDir(e.currentTarget.value)}
        />
        <button
          type="button"
          name="savepoint"
          disabled={busy}
          onClick={() =>
            act('Savepoint', async () => {
              const { 'request-id': id } = await api.savepoint(jid, dir.trim());
              setMessage({ kind: 'ok', text: `Savepoint ${id} in progress…` });
              return `Savepoint written to ${await awaitSavepoint(jid, id)}`;
            })
          }
        >
          Savepoint
        </button>
      </span>
      <span class="action-group">
        <input
          name="parallelism"
          type="number"
          min="1"
          value={scale}
          onInput={(e) => setScale(e.currentTarget.value)}
          aria-label="new parallelism"
        />
        <button
          type="button"
          name="rescale"
          disabled={busy || !(Number(scale) >= 1)}
          onClick={() =>
            act('Rescale', async () => {
              await api.rescale(jid, Math.floor(Number(scale)));
              return `Rescaling to parallelism ${Math.floor(Number(scale))}.`;
            })
          }
        >
          Rescale
        </button>
      </span>
      {message && <p class={message.kind === 'ok' ? 'notice' : 'error'}>{message.text}</p>}
    </div>
  );
}
