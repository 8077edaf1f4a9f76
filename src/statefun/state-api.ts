import { parseAddressKey, typeOfKey } from './address.js';
import type { AnyFunctionSpec, StateSpecs } from './function.js';
import type { ReplyRecord } from './hub.js';
import type { Instances } from './instances.js';
import type { Keyspace } from './keyspace.js';
import type { InvocationResult, StateChange } from './protocol.js';
import type { RemoteEndpointOptions } from './remote-client.js';

/** What the state API needs of the dispatcher. */
export interface StateApiHost {
  /** The embedded function or remote endpoint serving `type`, if any. */
  known(type: string): AnyFunctionSpec | RemoteEndpointOptions | undefined;
  /** Messages waiting in the current key's remote mailbox. */
  pending(): number;
  apply(addr: string, res: InvocationResult, loaded: ReturnType<Instances['load']>): void;
  emit(r: ReplyRecord): void;
}

/**
 * The state API's requests as the dispatcher runs them: a read of one instance, or an operator's correction applied
 * as one atomic change between invocations (like an invocation's state changes, so it is checkpointed alike).
 */
export class StateApi {
  constructor(
    private readonly ks: Keyspace,
    private readonly instances: Instances,
    private readonly defaults: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
    private readonly host: StateApiHost,
  ) {}

  get(rid: string, addr: string): void {
    const type = typeOfKey(addr);
    if (this.host.known(type) === undefined) {
      this.host.emit({ rid, ok: false, status: 404, body: { error: `no function of type '${type}'` } });
      return;
    }
    this.host.emit({ rid, ok: true, status: 200, body: this.view(addr) });
  }

  /** Sets (or, with null, clears) values of one instance. Undeclared names and saga progress are refused. */
  put(rid: string, addr: string, values: Record<string, unknown>): void {
    const type = typeOfKey(addr);
    const binding = this.host.known(type);
    if (binding === undefined) {
      this.host.emit({ rid, ok: false, status: 404, body: { error: `no function of type '${type}'` } });
      return;
    }
    const declared = 'handle' in binding ? (binding.state as StateSpecs) : undefined;
    for (const name of Object.keys(values)) {
      if (name.startsWith('__') || (declared !== undefined && !(name in declared))) {
        const known = declared === undefined ? '' : ` (declared: ${Object.keys(declared).join(', ') || 'none'})`;
        const error = `'${name}' is not a state value of ${type}${known}`;
        this.host.emit({ rid, ok: false, status: 400, body: { error } });
        return;
      }
    }
    const state: Record<string, StateChange> = {};
    for (const [name, v] of Object.entries(values)) {
      const ttl = declared?.[name]?.expireAfterMs;
      state[name] = v === null ? { clear: true } : ttl === undefined ? { set: v } : { set: v, ttl };
    }
    this.ks.use(addr);
    this.host.apply(addr, { id: '', state }, this.instances.load(this.ks.now()));
    this.host.emit({ rid, ok: true, status: 200, body: this.view(addr) });
  }

  private view(addr: string): unknown {
    const a = parseAddressKey(addr);
    this.ks.use(addr);
    const loaded = this.instances.load(this.ks.now());
    if (loaded.dirty) this.instances.save(loaded.rec);
    return {
      type: a.type,
      id: a.id,
      state: loaded.rec?.v ?? {},
      expiresAt: loaded.rec?.e ?? {},
      defaults: this.defaults.get(a.type) ?? {},
      pendingMessages: this.host.pending(),
    };
  }
}
