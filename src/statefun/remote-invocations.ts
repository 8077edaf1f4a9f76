import { typeOfKey } from './address.js';
import type { Hub } from './hub.js';
import type { Instances, Loaded } from './instances.js';
import { type Keyspace, type NsList, type NsValue, nsClear, nsGet, nsSet } from './keyspace.js';
import type { Envelope, InvocationResult } from './protocol.js';
import { RemoteClient, type RemoteEndpointOptions } from './remote-client.js';

/** An instance's invocation in flight: its id and how many mailbox messages it carries. */
interface InFlight {
  id: string;
  n: number;
}

/** What the remote part needs of the dispatcher. */
export interface RemoteHost {
  apply(addr: string, res: InvocationResult, loaded: Loaded): void;
  enqueue(env: Envelope): void;
}

/**
 * Remote functions of one dispatcher subtask: per instance a mailbox and at most one invocation in flight, both in
 * keyed state under the instance's address; results come back through the hub's loop (the ingress source of this
 * subtask) and are applied once, by invocation id.
 */
export class RemoteInvocations {
  private readonly clients = new Map<RemoteEndpointOptions, RemoteClient>();
  private readonly remoteOf = new Map<string, RemoteEndpointOptions | null>();
  private nextInvocation = 0;

  constructor(
    private readonly ks: Keyspace,
    private readonly endpoints: readonly RemoteEndpointOptions[],
    private readonly mailbox: NsList<Envelope>,
    private readonly inflight: NsValue,
    private readonly instances: Instances,
    private readonly hub: () => Hub,
    private readonly host: RemoteHost,
  ) {}

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /** The endpoint serving `type`, if it is served remotely. */
  endpointFor(type: string): RemoteEndpointOptions | undefined {
    let r = this.remoteOf.get(type);
    if (r === undefined) {
      r = null;
      const ns = type.slice(0, type.lastIndexOf('/'));
      for (const e of this.endpoints) {
        if (e.types.includes(type) || e.types.includes(`${ns}/*`)) {
          r = e;
          break;
        }
      }
      this.remoteOf.set(type, r);
    }
    return r ?? undefined;
  }

  /** First call of a run: resume the invocations that the restored checkpoint had open on this subtask. */
  resume(): void {
    const open: string[] = [];
    this.ks.ctx.forEachKey('statefun.inflight', (k) => open.push(k as string));
    for (const addr of open) {
      const f = this.inflightOf(addr);
      if (f === undefined) continue;
      const remote = this.endpointFor(typeOfKey(addr));
      if (remote === undefined) {
        // The type is no longer served remotely: deliver what waits to whatever serves it now.
        nsClear(this.inflight, '');
        this.mailbox.setNamespace('');
        const waiting = this.mailbox.get();
        this.mailbox.clear();
        for (const m of waiting) this.host.enqueue(m);
      } else this.issue(remote, addr, f);
    }
  }

  /** Queues `env` in the mailbox of its target (the current key) and starts an invocation if none is in flight. */
  deliver(endpoint: RemoteEndpointOptions, env: Envelope): void {
    this.mailbox.setNamespace('');
    this.mailbox.add(env);
    if (nsGet(this.inflight, '') === undefined) this.start(endpoint, env.to);
  }

  /** Messages waiting in the current key's mailbox. */
  pending(): number {
    this.mailbox.setNamespace('');
    return this.mailbox.get().length;
  }

  /** The final failure of an invocation: fails the job if it is the one in flight (its state keeps the mailbox). */
  failed(addr: string, id: string, error: string): void {
    if (this.inflightOf(addr)?.id === id) throw new Error(`${addr}: ${error}`);
  }

  /** Applies the result of the in-flight invocation of `addr`; results of any other invocation are ignored. */
  result(addr: string, id: string, res: InvocationResult): void {
    const f = this.inflightOf(addr);
    if (f === undefined || f.id !== id) return;
    nsClear(this.inflight, '');
    this.mailbox.setNamespace('');
    const rest = this.mailbox.get().slice(f.n);
    if (rest.length > 0) this.mailbox.update(rest);
    else this.mailbox.clear();
    this.host.apply(addr, res, this.instances.load(this.ks.now()));
    const endpoint = this.endpointFor(typeOfKey(addr));
    if (rest.length > 0 && endpoint !== undefined) {
      this.ks.use(addr);
      this.start(endpoint, addr);
    }
  }

  private client(endpoint: RemoteEndpointOptions): RemoteClient {
    let c = this.clients.get(endpoint);
    if (c === undefined) {
      const hub = this.hub();
      c = new RemoteClient(endpoint, (r) => hub.loopback(r));
      this.clients.set(endpoint, c);
    }
    return c;
  }

  /** The in-flight invocation of `addr`, which becomes the current key. */
  private inflightOf(addr: string): InFlight | undefined {
    this.ks.use(addr);
    const raw = nsGet(this.inflight, '');
    return raw === undefined ? undefined : (JSON.parse(raw) as InFlight);
  }

  /** Starts an invocation of `addr` (the current key) with the first messages of its mailbox. */
  private start(endpoint: RemoteEndpointOptions, addr: string): void {
    this.mailbox.setNamespace('');
    const waiting = this.mailbox.get();
    if (waiting.length === 0) return;
    const f: InFlight = {
      id: `${this.hub().nonce}-${++this.nextInvocation}`,
      n: Math.min(waiting.length, endpoint.maxMessagesPerInvocation ?? 32),
    };
    nsSet(this.inflight, '', JSON.stringify(f));
    this.issue(endpoint, addr, f, waiting);
  }

  /** Sends the in-flight invocation `f` of `addr`, the current key (again, after a restore). */
  private issue(endpoint: RemoteEndpointOptions, addr: string, f: InFlight, waiting?: Envelope[]): void {
    if (waiting === undefined) {
      this.mailbox.setNamespace('');
      waiting = this.mailbox.get();
    }
    const now = this.ks.now();
    const loaded = this.instances.load(now);
    if (loaded.dirty) this.instances.save(loaded.rec);
    this.client(endpoint).invoke({
      id: f.id,
      address: addr,
      state: loaded.state,
      messages: waiting.slice(0, f.n),
      now,
    });
  }
}
