/**
 * The transaction-coordinator requests the exactly-once sink needs beyond a transactional producer: finishing a
 * transaction another process started (EndTxn with its producer id and epoch), fencing a transactional id
 * (InitProducerId, which aborts its open transaction), and listing the open transactions of a cluster. The client's
 * producer sends these only for its own transaction, so they go through the package's public protocol layer on an
 * Admin client's connections (protocol-api.ts). test/kafka-client-contract.test.ts checks these requests and the
 * error ids `endTransaction` maps to outcomes against a real broker.
 */
import type { Admin, Connection } from '@platformatic/kafka';
import { SluiceError } from '../../core/errors.js';
import { describeKafkaError, type KafkaLib, protocolErrorIds, sleep } from './client.js';
import { negotiateApi, UnsupportedApiError } from './protocol-api.js';

/** A transaction as the cluster lists it. */
export interface ListedTransaction {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly state: string;
}

/** How an EndTxn of a known producer id and epoch came out. */
export type EndTxnOutcome = 'done' | 'fenced' | 'invalid-state' | 'unknown-id';

/** Errors after which the same request is sent again, possibly to a new coordinator. */
const RETRY = new Set([
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'CONCURRENT_TRANSACTIONS',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
]);

/** Bounds each call: coordinators move and fencing waits for an abort to complete, but not forever. */
const DEADLINE_MS = 60_000;

export class TransactionAdmin {
  private readonly admin: Admin;

  constructor(
    private readonly lib: KafkaLib,
    bootstrapBrokers: string[],
    clientId: string,
  ) {
    this.admin = new lib.Admin({ clientId, bootstrapBrokers, retries: 10, retryDelay: 250 });
  }

  private async coordinatorConnection(transactionalId: string): Promise<Connection> {
    const [coordinator] = await this.admin.findCoordinator({ keyType: 1, keys: [transactionalId] });
    if (coordinator === undefined) throw new SluiceError(`no transaction coordinator for ${transactionalId}`);
    const connections = await this.admin.connectToBrokers([coordinator.nodeId]);
    const connection = connections.get(coordinator.nodeId);
    if (connection === undefined) throw new SluiceError(`cannot connect to broker ${coordinator.nodeId}`);
    return connection;
  }

  /** Runs `call` against the coordinator of `transactionalId`, again on retriable errors, until the deadline. */
  private async withCoordinator<R>(
    transactionalId: string,
    what: string,
    call: (c: Connection) => Promise<R>,
  ): Promise<R> {
    const deadline = Date.now() + DEADLINE_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call(await this.coordinatorConnection(transactionalId));
      } catch (e) {
        if (e instanceof UnsupportedApiError) throw e;
        const ids = protocolErrorIds(e);
        const retriable = ids.length === 0 || ids.every((id) => RETRY.has(id));
        if (!retriable || Date.now() > deadline) {
          throw Object.assign(new SluiceError(`${what} of ${transactionalId} failed: ${describeKafkaError(e)}`), {
            cause: e,
          });
        }
        if (ids.includes('NOT_COORDINATOR')) this.admin.clearMetadata();
        await sleep(Math.min(1000, 50 * attempt));
      }
    }
  }

  /** Commits (or aborts) the transaction of this exact producer id and epoch, which may be another process's. */
  async endTransaction(transactionalId: string, producerId: bigint, epoch: number, commit: boolean) {
    const { endTxnV3, endTxnV4 } = this.lib;
    try {
      await this.withCoordinator(transactionalId, commit ? 'committing' : 'aborting', async (c) => {
        const api = await negotiateApi(this.lib, c, 'EndTxn', [endTxnV4.api, endTxnV3.api]);
        return api.async(c, transactionalId, producerId, epoch, commit);
      });
      return 'done' satisfies EndTxnOutcome;
    } catch (e) {
      const ids = protocolErrorIds((e as { cause?: unknown }).cause ?? e);
      if (ids.includes('PRODUCER_FENCED') || ids.includes('INVALID_PRODUCER_EPOCH')) return 'fenced';
      if (ids.includes('INVALID_TXN_STATE')) return 'invalid-state';
      if (ids.includes('INVALID_PRODUCER_ID_MAPPING') || ids.includes('TRANSACTIONAL_ID_NOT_FOUND')) {
        return 'unknown-id';
      }
      throw e;
    }
  }

  /**
   * Fences a transactional id: bumps its producer epoch, so any producer still using it fails, and aborts its open
   * transaction (the coordinator answers CONCURRENT_TRANSACTIONS until the abort is complete; this waits for it).
   */
  async fence(transactionalId: string, transactionTimeoutMs: number): Promise<void> {
    const { initProducerIdV3, initProducerIdV4, initProducerIdV5 } = this.lib;
    await this.withCoordinator(transactionalId, 'fencing', async (c) => {
      const versions = [initProducerIdV5.api, initProducerIdV4.api, initProducerIdV3.api];
      const api = await negotiateApi(this.lib, c, 'InitProducerId', versions);
      // Producer id -1 and epoch -1: a plain init, which bumps the epoch of whatever producer id the id has.
      return api.async(c, transactionalId, transactionTimeoutMs, -1n, -1);
    });
  }

  /**
   * The transactions of the whole cluster (each broker lists those it coordinates). ListTransactions v0 (Kafka 3.0+)
   * on purpose: the client's v2 parser misreads the broker's answer.
   */
  async listTransactions(): Promise<ListedTransaction[]> {
    const v0 = this.lib.listTransactionsV0.api;
    const metadata = await this.admin.metadata({ topics: [] });
    const connections = await this.admin.connectToBrokers([...metadata.brokers.keys()]);
    const lists = await Promise.all(
      [...connections.values()].map(async (c) => {
        const api = await negotiateApi(this.lib, c, 'ListTransactions', [v0]);
        return (await api.async(c, [], [], -1n, null)).transactionStates;
      }),
    );
    return lists.flat().map((t) => ({
      transactionalId: t.transactionalId,
      producerId: t.producerId,
      state: t.transactionState,
    }));
  }

  close(): Promise<void> {
    return this.admin.close();
  }
}
