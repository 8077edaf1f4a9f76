// The helper thread of durable-writes.ts: writes each requested file with synchronous calls, one request after the
// other, and answers with the request's id (and the error, if one call failed). Synchronous calls here cost the
// processing threads nothing, and a whole write (directory, file, data, fsync, close, rename) takes one round trip
// instead of one per call.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';

/** Writes `data` to `path` (creating its directory) and fsyncs it. */
function writeDurable(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
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

parentPort.on('message', (m) => {
  try {
    if (m.op === 'write') writeDurable(m.path, m.data);
    else {
      // 'replace': the file appears whole under its name or not at all.
      writeDurable(m.temp, m.data);
      renameSync(m.temp, m.path);
      fsyncDirectory(dirname(m.path));
    }
    parentPort.postMessage({ id: m.id });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: e.message, code: e.code, syscall: e.syscall, path: e.path } });
  }
});
