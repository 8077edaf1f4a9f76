import { resolve } from 'node:path';
import type { DataStream } from '../api/data-stream.js';
import type { StreamExecutionEnvironment } from '../api/environment.js';
import { PlanError } from '../core/errors.js';
import { type Address, addressKey, checkType } from './address.js';
import { type Bindings, Dispatcher, DispatcherSetup, egressTag } from './dispatcher.js';
import type { AnyFunctionSpec } from './function.js';
import { type HttpIngressOptions, HttpIngressSource } from './http-ingress.js';
import { Hubs, type IngressRecord, recordKey } from './hub.js';
import { bootKey } from './keyspace.js';
import { type DispatcherOutput, DispatcherOutputSink } from './output-sink.js';
import type { RemoteEndpointOptions } from './remote-client.js';

export interface StatefulFunctionsOptions {
  /**
   * Checkpoint interval the application asks for when run with `--checkpoint-dir` and no `--checkpoint-interval`
   * (default 20 ms): HTTP answers wait for the checkpoint covering their effects, so this bounds latency.
   */
  readonly checkpointIntervalMs?: number;
  /** How long the final answer of a request with an Idempotency-Key is kept (default 24 h). */
  readonly idempotencyTtlMs?: number;
  /** Messages delivered in one dispatcher call before it yields to other work (default 10,000). */
  readonly maxMessagesPerCall?: number;
  /** Warnings (failed handlers, messages to unknown types); default stderr. */
  readonly log?: (line: string) => void;
}

/** What {@link StatefulFunctions.build} returns. */
export interface StatefulFunctionsJob {
  /**
   * Resolves with the HTTP port once the ingress listens (useful with port 0): after every subtask of the job is open
   * and restored, so the port answers as soon as it accepts connections.
   */
  readonly ready: Promise<number>;
  /** Records functions emitted with `ctx.egress(name, value)`, as a stream (sink it anywhere: files, Kafka, …). */
  egress<T>(name: string): DataStream<T>;
  /** HTTP answers sent so far. */
  answered(): number;
}

/**
 * A Stateful Functions application on a Sluice job: functions (embedded or remote), an HTTP ingress, stream
 * ingresses and egresses. `build()` adds to the environment: the ingress source → keyBy(address) → the dispatcher
 * → its output sink (HTTP answers with two-phase commit, on subtask 0; feedback records for the subtask owning their
 * target, handed in memory to the ingress source of that subtask), plus a side output per egress. Runs at any
 * parallelism; with `--checkpoint-dir` it is exactly-once end to end.
 *
 * ```ts
 * export default defineJob((env, args) => {
 *   new StatefulFunctions(env).register(greeter).http({ port: 8080, routes: [...] }).build();
 * });
 * ```
 */
export class StatefulFunctions {
  private readonly hubs = new Hubs();
  private readonly embedded = new Map<string, AnyFunctionSpec>();
  private readonly endpoints: RemoteEndpointOptions[] = [];
  private readonly defaults = new Map<string, Record<string, unknown>>();
  private readonly ingresses: DataStream<IngressRecord>[] = [];
  private httpOptions: HttpIngressOptions | undefined;
  private built: StatefulFunctionsJob | undefined;

  constructor(
    private readonly env: StreamExecutionEnvironment,
    private readonly options: StatefulFunctionsOptions = {},
  ) {}

  /** Functions run inside the job. */
  register(...functions: AnyFunctionSpec[]): this {
    for (const f of functions) {
      if (this.embedded.has(f.type)) throw new PlanError(`function type '${f.type}' is registered twice`);
      this.embedded.set(f.type, f);
    }
    return this;
  }

  /** Function types served by a remote HTTP service (see `serveFunctions`). */
  remote(endpoint: RemoteEndpointOptions): this {
    new URL(endpoint.url);
    for (const t of endpoint.types) {
      if (!t.endsWith('/*')) checkType(t);
    }
    this.endpoints.push(endpoint);
    return this;
  }

  /** Values instances of `type` have while they hold none of their own (defaults are never stored). */
  stateDefaults(type: string, values: Record<string, unknown>): this {
    this.defaults.set(checkType(type), { ...this.defaults.get(type), ...values });
    return this;
  }

  /** The HTTP ingress: routes from requests to messages; answers are the functions' replies. */
  http(options: HttpIngressOptions): this {
    this.httpOptions = options;
    return this;
  }

  /** A stream as ingress: every record becomes a message (one-way; replies to it are dropped). */
  ingress<T>(stream: DataStream<T>, route: (value: T) => { to: Address; message: unknown }): this {
    this.ingresses.push(
      stream.map((v): IngressRecord => {
        const r = route(v);
        return { k: 'msg', to: addressKey(r.to), body: r.message ?? null };
      }, 'statefun-stream-ingress'),
    );
    return this;
  }

  build(): StatefulFunctionsJob {
    if (this.built !== undefined) return this.built;
    const env = this.env;
    this.defaultCheckpointing();
    const bindings: Bindings = { embedded: this.embedded, remote: this.endpoints, defaults: this.defaults };
    const log = this.options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    const hubs = this.hubs;
    let input = env.fromSource(new HttpIngressSource(hubs, this.httpOptions), undefined, 'statefun-ingress');
    input = input.uid('statefun-ingress');
    if (this.ingresses.length > 0) input = input.union(...this.ingresses);
    const dispatched = input
      .keyBy(recordKey)
      .process<DispatcherOutput>(
        new Dispatcher(
          new DispatcherSetup(hubs, bindings, {
            idempotencyTtlMs: this.options.idempotencyTtlMs ?? 24 * 3600_000,
            maxMessagesPerCall: this.options.maxMessagesPerCall ?? 10_000,
            log,
          }),
        ),
        'statefun-dispatcher',
      )
      .uid('statefun-dispatcher');
    // At parallelism 1 the output sink chains onto the dispatcher (forward, its only consumer). Above, the exchange
    // routes feedback to the subtask owning its target and answers to subtask 0 (a key that subtask owns). The uid
    // keeps the sink's state (the loop's recordings) across parallelisms, whatever the edge.
    const { parallelism, maxParallelism } = env.getEffectiveConfig();
    const answersKey = bootKey(0, parallelism, maxParallelism);
    const output =
      parallelism === 1
        ? dispatched
        : dispatched.keyBy((r: DispatcherOutput) => ('k' in r ? recordKey(r) : answersKey));
    output.sinkTo(new DispatcherOutputSink(hubs), 'statefun-output', 'statefun-output');
    this.built = {
      ready: hubs.http.ready,
      egress: <T>(name: string) => dispatched.getSideOutput(egressTag(name)) as DataStream<T>,
      answered: () => hubs.http.answered,
    };
    return this.built;
  }

  /**
   * Sluice takes the checkpoint interval from `--checkpoint-interval`, else from the job, else 1 s; a job can only
   * state an interval together with a directory. When the command line has `--checkpoint-dir` (this process is the
   * `sluice run` that builds the job), the application enables checkpointing into that same directory with its own
   * short interval, which the command line's interval, if any, still overrides.
   */
  private defaultCheckpointing(): void {
    if (this.env.checkpointConfig !== undefined) return;
    const dir = cliCheckpointDir(process.argv);
    if (dir !== undefined) this.env.enableCheckpointing(this.options.checkpointIntervalMs ?? 20, resolve(dir));
  }
}

/** The `--checkpoint-dir` engine option of a `sluice run` command line (before `--`), if any. */
export function cliCheckpointDir(argv: readonly string[]): string | undefined {
  const end = argv.indexOf('--');
  const engine = end < 0 ? argv : argv.slice(0, end);
  for (let i = 0; i < engine.length; i++) {
    const a = engine[i]!;
    if (a === '--checkpoint-dir') return engine[i + 1];
    if (a.startsWith('--checkpoint-dir=')) return a.slice('--checkpoint-dir='.length);
  }
  return undefined;
}
