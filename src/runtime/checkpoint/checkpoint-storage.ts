import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../../core/errors.js';
import { durableWriter } from './durable-writes.js';

/**
 * Checkpoint directory layout:
 *
 * ```
 * CK/chk-0000000042/s-<vertex>-<subtask>.state   per subtask above 16 KiB: 64 hex chars of SHA-256, '\n', payload
 * CK/chk-0000000042/_metadata                    JSON, written last: temp file, fsync, rename, fsync of the directory
 * ```
 * A checkpoint exists only once `_metadata` exists, so a half-written checkpoint is never mistaken for a complete
 * one. Every state file is listed in the metadata with its size and checksum and verified on restore.
 *
 * A subtask's state of at most {@link INLINE_STATE_BYTES} (16 KiB) has no file: its payload is kept in the metadata
 * (`inline`, base64), as Flink keeps state below `state.storage.fs.memory-threshold` in its metadata file. A later
 * checkpoint whose incremental state builds on such a link references it with `inMetadata` (the payload is not
 * copied: that checkpoint's metadata is kept as long as it is referenced, as its files would be). A job that
 * checkpoints every few tens of milliseconds with small changes then writes and fsyncs only its metadata.
 */

export interface StateFileRef {
  name: string;
  size: number;
  sha256: string;
  /** uids of the operators whose state the file holds. */
  operators: string[];
  /** The payload itself, base64, when it is kept in the metadata instead of a file of its own. */
  inline?: string;
}

export interface CheckpointMetadata {
  version: 1;
  checkpointId: number;
  /** 'checkpoint' or 'savepoint' */
  kind: 'checkpoint' | 'savepoint';
  createdAt: string;
  /** The job that wrote the checkpoint: its file as given to `sluice run` (or the name given to `execute`). */
  job: string;
  /** `planFingerprint` of that job (job-identity.ts); absent in checkpoints of older versions. */
  jobFingerprint?: string;
  maxParallelism: number;
  /** True when every subtask had finished its input: restoring it only completes pending commits. */
  final: boolean;
  files: StateFileRef[];
  /** State files of earlier checkpoints that incremental state in `files` builds on (kept while this one is). */
  references?: ReferencedFile[];
}

/** A state file in another checkpoint directory of the same root. */
export interface ReferencedFile extends StateFileRef {
  /** Directory name under the checkpoint root, e.g. chk-0000000041. */
  checkpointDir: string;
  /** The state is kept inline in that checkpoint's `_metadata` (under `name`), not in a file. */
  inMetadata?: true;
}

export const METADATA = '_metadata';

export function checkpointDirName(id: number): string {
  return `chk-${String(id).padStart(10, '0')}`;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * State files up to this many payload bytes go whole to the durable writer's helper thread, which hashes and writes
 * them (see {@link writeStateFile}); the pieces are briefly held twice (joined into one buffer, which moves to the
 * helper without a copy).
 */
export const ONE_WRITE_BYTES = 16 << 20;

/** In a state file written piece by piece, smaller pieces are joined into writes of about this size. */
const COALESCE_BYTES = 1 << 20;

/**
 * Payloads up to this many bytes are kept in the metadata instead of a file (see the layout above): a few hundred
 * bytes is usual for a source's position, a sink's committables or a stateless subtask, a few kilobytes for a
 * Stateful Functions delta at 50 checkpoints a second, and each file costs a write, an fsync and a deletion later.
 * (Flink's default threshold is 20 KB.)
 */
export const INLINE_STATE_BYTES = 16384;

/**
 * Stores one subtask's state from pieces of payload: inline in the returned reference when it is at most
 * `inlineLimit` bytes (default 0: never), else in a state file, fsynced. Most files (a few kilobytes, possibly many
 * a second; a few megabytes for large keyed state) go whole to a helper thread, which hashes and writes them while
 * processing goes on. A larger state is written piece by piece, yielding to the event loop between pieces, with the
 * checksum header written last.
 */
export async function writeStateFile(
  dir: string,
  name: string,
  pieces: Iterable<Buffer>,
  operators: string[],
  inlineLimit = 0,
): Promise<StateFileRef> {
  const held: Buffer[] = [];
  let heldBytes = 0;
  const rest = pieces[Symbol.iterator]();
  let next = rest.next();
  while (!next.done && heldBytes + next.value.length <= ONE_WRITE_BYTES) {
    held.push(next.value);
    heldBytes += next.value.length;
    next = rest.next();
  }
  // An inline payload (at most MAX_INLINE_STATE_BYTES) is always among the pieces held for one write.
  if (next.done && inlineLimit > 0 && heldBytes <= inlineLimit) {
    const payload = Buffer.concat(held, heldBytes);
    return { name, size: heldBytes, sha256: sha256(payload), operators, inline: payload.toString('base64') };
  }
  if (next.done) {
    const sum = await durableWriter().writeChecksummed(join(dir, name), Buffer.concat(held, heldBytes));
    return { name, size: heldBytes, sha256: sum, operators };
  }
  const hash = createHash('sha256');
  for (const piece of held) hash.update(piece);
  await mkdir(dir, { recursive: true });
  const h = await open(join(dir, name), 'w');
  try {
    await h.write(Buffer.alloc(65, 0x20), 0, 65, 0);
    let size = 0;
    // Small pieces (frame lengths, headers) are gathered into writes of at least COALESCE_BYTES.
    let small: Buffer[] = [];
    let smallBytes = 0;
    const write = async (b: Buffer) => {
      await h.write(b, 0, b.length, 65 + size);
      size += b.length;
    };
    const flushSmall = async () => {
      if (smallBytes === 0) return;
      const joined = Buffer.concat(small, smallBytes);
      small = [];
      smallBytes = 0;
      await write(joined);
    };
    const put = async (piece: Buffer) => {
      if (piece.length >= COALESCE_BYTES) {
        await flushSmall();
        await write(piece);
        return;
      }
      small.push(piece);
      smallBytes += piece.length;
      if (smallBytes >= COALESCE_BYTES) await flushSmall();
    };
    for (const piece of held) await put(piece);
    for (; !next.done; next = rest.next()) {
      hash.update(next.value);
      await put(next.value);
    }
    await flushSmall();
    const sum = hash.digest('hex');
    await h.write(Buffer.from(`${sum}\n`), 0, 65, 0);
    await h.sync();
    return { name, size, sha256: sum, operators };
  } finally {
    await h.close();
  }
}

/** Completes a checkpoint: metadata written to a temporary file, fsynced, renamed into place, directory fsynced. */
export async function writeMetadata(dir: string, metadata: CheckpointMetadata): Promise<void> {
  const text = Buffer.from(`${JSON.stringify(metadata, null, 1)}\n`);
  await durableWriter().replace(join(dir, METADATA), join(dir, `${METADATA}.tmp`), text);
}

export class CorruptCheckpointError extends Error {
  override name = 'CorruptCheckpointError';
}

/**
 * A checkpoint file that is not there is part of an incomplete or corrupt checkpoint; any other failure to read
 * (permissions, I/O errors, a file where a directory belongs) is an error of the directory that fails the run,
 * naming the operation and path, rather than a reason to restore something older or start from scratch.
 */
function readFailure(what: string, path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CorruptCheckpointError(`${what} ${path} is missing`);
  return new SluiceError(`cannot read ${what} ${path}: ${(e as Error).message}`);
}

/** Reads and verifies a state file (or the payload kept inline in the metadata) against its reference. */
export async function readStateFile(dir: string, ref: StateFileRef): Promise<Buffer> {
  if (ref.inline !== undefined) {
    const payload = Buffer.from(ref.inline, 'base64');
    if (payload.length !== ref.size || sha256(payload) !== ref.sha256) {
      throw new CorruptCheckpointError(`the state of ${ref.name} kept in ${METADATA} is corrupt (checksum mismatch)`);
    }
    return payload;
  }
  let raw: Buffer;
  try {
    raw = await readFile(join(dir, ref.name));
  } catch (e) {
    throw readFailure('state file', join(dir, ref.name), e);
  }
  const nl = raw.indexOf(10);
  const header = nl === 64 ? raw.subarray(0, 64).toString('latin1') : '';
  const payload = raw.subarray(nl + 1);
  if (header !== ref.sha256 || payload.length !== ref.size || sha256(payload) !== ref.sha256) {
    throw new CorruptCheckpointError(`state file ${ref.name} is truncated or corrupt (checksum mismatch)`);
  }
  return payload;
}

/**
 * Reads and verifies state another checkpoint holds: its file, or the payload kept inline in its metadata.
 * `metadataOf` reads (and may cache) a checkpoint directory's metadata.
 */
export async function readReferencedState(
  root: string,
  ref: ReferencedFile,
  metadataOf: (dir: string) => Promise<CheckpointMetadata> = readMetadata,
): Promise<Buffer> {
  const dir = join(root, ref.checkpointDir);
  if (ref.inMetadata === undefined) return readStateFile(dir, ref);
  const kept = (await metadataOf(dir)).files.find((f) => f.name === ref.name);
  if (kept?.inline === undefined) {
    throw new CorruptCheckpointError(`the state of ${ref.name} is missing from ${join(dir, METADATA)}`);
  }
  // Verified against the reference's own size and checksum.
  return readStateFile(dir, { ...ref, inline: kept.inline });
}

/** Reads and validates a checkpoint's metadata and checks that all its files are present with the right sizes. */
export async function readMetadata(dir: string): Promise<CheckpointMetadata> {
  let text: string;
  try {
    text = await readFile(join(dir, METADATA), 'utf8');
  } catch (e) {
    throw readFailure('checkpoint metadata', join(dir, METADATA), e);
  }
  let m: CheckpointMetadata;
  try {
    m = JSON.parse(text) as CheckpointMetadata;
  } catch {
    throw new CorruptCheckpointError(`${METADATA} is not valid JSON`);
  }
  if (m.version !== 1 || !Array.isArray(m.files)) throw new CorruptCheckpointError(`${METADATA} has an unknown format`);
  for (const f of m.files) {
    if (f.inline !== undefined) {
      if (typeof f.inline !== 'string') throw new CorruptCheckpointError(`${METADATA} has an unknown format`);
      continue;
    }
    const path = join(dir, f.name);
    const st = await stat(path).catch((e) => {
      const failure = readFailure('state file', path, e);
      if (failure instanceof CorruptCheckpointError) return undefined;
      throw failure;
    });
    if (st === undefined || st.size !== f.size + 65) {
      throw new CorruptCheckpointError(`state file ${f.name} is missing or has the wrong size`);
    }
  }
  return m;
}

/**
 * Checkpoint ids present in a checkpoint directory (complete or not), newest first; none if the directory does not
 * exist. A directory that cannot be listed is an error naming it.
 */
export async function listCheckpointIds(root: string): Promise<number[]> {
  const names = await readdir(root).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw new SluiceError(`cannot list checkpoint directory ${root}: ${e.message}`);
  });
  return names
    .map((n) => /^chk-(\d+)$/.exec(n)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
}

export interface LatestCheckpoint {
  dir: string;
  metadata: CheckpointMetadata;
}

/**
 * The newest complete, verified checkpoint under `root`. Incomplete ones (no metadata: the process died while
 * writing) are skipped silently; each corrupt one is reported through `onCorrupt` in one line.
 */
export async function findLatestCheckpoint(
  root: string,
  onCorrupt: (line: string) => void,
): Promise<LatestCheckpoint | undefined> {
  for (const id of await listCheckpointIds(root)) {
    const dir = join(root, checkpointDirName(id));
    const hasMetadata = await stat(join(dir, METADATA)).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return false;
        throw new SluiceError(`cannot read checkpoint metadata ${join(dir, METADATA)}: ${e.message}`);
      },
    );
    if (!hasMetadata) continue;
    try {
      const metadata = await readMetadata(dir);
      for (const f of metadata.files) await readStateFile(dir, f);
      const metadataOf = cachedMetadataReader();
      for (const r of metadata.references ?? []) await readReferencedState(root, r, metadataOf);
      return { dir, metadata };
    } catch (e) {
      if (!(e instanceof CorruptCheckpointError)) throw e;
      onCorrupt(`checkpoint ${id} is corrupt (${(e as Error).message})`);
    }
  }
  return undefined;
}

/** Reads each checkpoint directory's metadata once (a chain may keep a hundred links in earlier checkpoints). */
export function cachedMetadataReader(): (dir: string) => Promise<CheckpointMetadata> {
  const read = new Map<string, Promise<CheckpointMetadata>>();
  return (dir) => {
    let m = read.get(dir);
    if (m === undefined) read.set(dir, (m = readMetadata(dir)));
    return m;
  };
}

/**
 * Metadata of complete checkpoints that pruning has read (it never changes): incremental chains keep many checkpoint
 * directories alive, and with checkpoints every few tens of ms re-reading all their metadata each time would cost
 * more than the checkpoints.
 */
const prunedMetadata = new Map<string, { stamp: string; metadata: CheckpointMetadata }>();

/** The metadata of `dir` from the cache while its file is the one read (same inode and time), else read. */
async function metadataForPruning(dir: string): Promise<CheckpointMetadata | undefined> {
  const st = await stat(join(dir, METADATA)).catch(() => undefined);
  const stamp = st === undefined ? '' : `${st.ino}:${st.mtimeMs}:${st.size}`;
  const cached = prunedMetadata.get(dir);
  if (cached !== undefined && cached.stamp === stamp) return cached.metadata;
  prunedMetadata.delete(dir);
  const metadata = await readMetadata(dir).catch((e) => {
    // Only an incomplete or corrupt checkpoint may go; one that cannot be read is not deleted on a guess.
    if (e instanceof CorruptCheckpointError) return undefined;
    throw e;
  });
  if (metadata !== undefined && stamp !== '') prunedMetadata.set(dir, { stamp, metadata });
  return metadata;
}

/**
 * Deletes complete checkpoints beyond the newest `retain`, and incomplete ones older than the newest complete one.
 * `written`: metadata of the checkpoint directories the caller completed itself (by path), taken as is instead of
 * being read back — pruning follows every checkpoint, which may come every few tens of milliseconds. Entries of
 * directories deleted here are removed from it.
 */
export async function pruneCheckpoints(
  root: string,
  newestComplete: number,
  retain: number,
  written?: Map<string, CheckpointMetadata>,
): Promise<void> {
  const ids = await listCheckpointIds(root);
  let kept = 0;
  const referenced = new Set<string>();
  const doomed: string[] = [];
  for (const id of ids) {
    if (id > newestComplete) continue;
    const name = checkpointDirName(id);
    // Past the retained ones (newest first, so `referenced` is complete), one that a kept checkpoint's incremental
    // state builds on stays without being read: a chain keeps up to a hundred older directories, and checkpoints may
    // come every few milliseconds. The others are looked at before they go: metadata the caller wrote, or read from
    // the directory (an unreadable one throws).
    if (kept >= retain && referenced.has(name)) continue;
    const dir = join(root, name);
    const metadata = written?.get(dir) ?? (await metadataForPruning(dir));
    if (metadata !== undefined && kept < retain) {
      kept++;
      for (const r of metadata.references ?? []) referenced.add(r.checkpointDir);
      continue;
    }
    doomed.push(name);
  }
  // Older checkpoints whose files incremental state of a kept one builds on stay too.
  for (const name of doomed) {
    if (referenced.has(name)) continue;
    const dir = join(root, name);
    prunedMetadata.delete(dir);
    written?.delete(dir);
    // On the durable writer's helper thread: a listing, an unlink per file and an rmdir, each a promise here.
    await durableWriter().removeDirectory(dir);
  }
}
