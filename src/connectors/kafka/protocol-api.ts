/**
 * Kafka protocol requests sent through @platformatic/kafka's public low-level layer: the package exports every
 * protocol API version it implements as a module (`endTxnV4`, `joinGroupV9`, `fetchV17`, ...) whose `api.async`
 * sends that request on a `Connection` (from the documented `connectToBrokers`, `connections`). Sluice uses it for
 * the few requests its clients do not offer (finishing another process's transaction, fencing, the group protocol,
 * fetches without the client's read_committed filter) instead of the clients' symbol-keyed internals.
 *
 * The clients pick an API version internally; here the caller names the versions it can use (same arguments and
 * answer) and {@link negotiateApi} picks the highest one the broker supports, from one ApiVersions request per
 * connection — what every Kafka client does on connect. docs/KAFKA.md lists the client surface Sluice relies on;
 * test/kafka-client-contract.test.ts checks it against a real broker.
 */
import type { API, Connection } from '@platformatic/kafka';
import { SluiceError } from '../../core/errors.js';
import type { KafkaLib } from './client.js';

/** The version range a broker supports, by API key. */
type BrokerVersions = ReadonlyMap<number, { readonly min: number; readonly max: number }>;

/** Name and version sent in ApiVersions (KIP-511: letters, digits, '-' and '.'). */
const CLIENT_SOFTWARE = ['sluice', '1'] as const;

/** The broker implements none of the versions Sluice can send: retrying cannot help. */
export class UnsupportedApiError extends SluiceError {
  override name = 'UnsupportedApiError';
}

const versionsByConnection = new WeakMap<Connection, Promise<BrokerVersions>>();

function brokerVersions(lib: KafkaLib, connection: Connection): Promise<BrokerVersions> {
  let versions = versionsByConnection.get(connection);
  if (versions === undefined) {
    // ApiVersions v3 is understood by every broker since Kafka 2.4 (the client's own choice, too).
    versions = lib.apiVersionsV3.api
      .async(connection, ...CLIENT_SOFTWARE)
      .then((r) => new Map(r.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }])));
    // A failed request is not remembered: the next call asks again (possibly on a new connection).
    void versions.catch(() => versionsByConnection.delete(connection));
    versionsByConnection.set(connection, versions);
  }
  return versions;
}

/**
 * The highest of `candidates` (versions of one protocol API, all taking the same arguments) that the broker behind
 * `connection` supports.
 *
 * @throws UnsupportedApiError naming the API, the versions Sluice can use and those the broker offers, when none matches.
 */
export async function negotiateApi<A extends unknown[], R>(
  lib: KafkaLib,
  connection: Connection,
  name: string,
  candidates: readonly API<A, R>[],
): Promise<API<A, R>> {
  const supported = (await brokerVersions(lib, connection)).get(candidates[0]!.key);
  let best: API<A, R> | undefined;
  for (const c of candidates) {
    if (supported === undefined || c.version < supported.min || c.version > supported.max) continue;
    if (best === undefined || c.version > best.version) best = c;
  }
  if (best === undefined) {
    const ours = candidates.map((c) => c.version).join(', ');
    const theirs = supported === undefined ? 'none' : `${supported.min}–${supported.max}`;
    throw new UnsupportedApiError(
      `the Kafka broker does not support a usable version of ${name}: Sluice sends versions ${ours}, the broker ` +
        `accepts ${theirs}`,
    );
  }
  return best;
}
