// The helper thread of durable-writes.ts: writes each requested file with synchronous calls, one request after the
// other, and answers with the request's id (and the error, if one call failed). Synchronous calls here cost the
// processing threads nothing, and a whole write (directory, file, data, fsync, close, rename) takes one round trip
// instead of one per call.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
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

/** Makes a rename in `dir` durable. */
function fsyncDirectory(dir) {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

parentPort.on('message', (m) => {
  try {
    let result;
    if (m.op === 'checksummed') result = writeChecksummed(m.path, m.data);
    else {
      // 'replace': the file appears whole under its name or not at all.
      writeDurable(m.temp, [m.data]);
      renameSync(m.temp, m.path);
      fsyncDirectory(dirname(m.path));
    }
    parentPort.postMessage({ id: m.id, result });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: e.message, code: e.code, syscall: e.syscall, path: e.path } });
  }
});
