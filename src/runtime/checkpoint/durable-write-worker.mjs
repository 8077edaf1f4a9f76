// The helper thread of durable-writes.ts: writes each requested file with synchronous calls, one request after the
// other, and answers with the request's id (and the error, if one call failed). Synchronous calls here cost the
// processing threads nothing, and a whole write (directory, file, data, fsync, close, rename) takes one round trip
// instead of one per call.
import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { parentPort } from 'node:worker_threads';

/** Writes `parts` one after the other to `path` (creating its directory) and fsyncs it. */
function writeDurable(path, parts) {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    let position = 0;
    for (const data of parts) {
      for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at, position + at);
      position += data.length;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes the SHA-256 of `payload` (64 hex digits, newline), then the payload, to `path`; fsyncs it. */
function writeChecksummed(path, payload) {
  const sum = createHash('sha256').update(payload).digest('hex');
  writeDurable(path, [Buffer.from(`${sum}\n`), payload]);
  return sum;
}

/**
 * Deletes a checkpoint directory: its files, then itself (nothing if it is gone already: prunes may overlap). A
 * checkpoint's files are flat; anything else in it (a directory someone put there) falls back to a recursive delete.
 */
function removeDirectory(dir) {
  try {
    for (const name of readdirSync(dir)) unlinkSync(join(dir, name));
    rmdirSync(dir);
  } catch (e) {
    if (e.code === 'ENOENT') return;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Makes a rename in `dir` durable. */
function fsyncDirectory(dir) {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Carries out one request; its answer names it by id. */
function carryOut(m) {
  try {
    let result;
    if (m.op === 'checksummed') result = writeChecksummed(m.path, m.data);
    else if (m.op === 'remove') removeDirectory(m.path);
    else {
      // 'replace': the file appears whole under its name or not at all.
      writeDurable(m.temp, [m.data]);
      renameSync(m.temp, m.path);
      fsyncDirectory(dirname(m.path));
    }
    return { id: m.id, result };
  } catch (e) {
    return { id: m.id, error: { message: e.message, code: e.code, syscall: e.syscall, path: e.path } };
  }
}

// Requests come in batches (those made in one turn of the sender's event loop), in order; one answer per batch.
parentPort.on('message', (requests) => parentPort.postMessage(requests.map(carryOut)));
