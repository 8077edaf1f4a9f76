import assert from 'node:assert/strict';
import { rename } from 'node:fs/promises';
import { test } from 'node:test';
import { describeFileSystemError, isFileSystemError } from '../src/core/file-system-error.js';

/** How failed file-system calls are put to the user (the CLI tests cover the ones a root user can provoke). */

test('the operation, the path and the reason', () => {
  assert.equal(
    describeFileSystemError({ code: 'EACCES', syscall: 'mkdir', path: '/data/out' }),
    "cannot create directory '/data/out': permission denied (EACCES)",
  );
  assert.equal(
    describeFileSystemError({ code: 'EXDEV', syscall: 'rename', path: '/a/x', dest: '/b/x' }),
    "cannot rename '/a/x' to '/b/x': not on the same file system (EXDEV)",
  );
  assert.equal(
    describeFileSystemError({ code: 'EUNKNOWN', syscall: 'frobnicate', path: '/a' }),
    "cannot frobnicate '/a': EUNKNOWN",
  );
});

test('errors Node throws are recognised, others are not', async () => {
  const missing = '/nonexistent-sluice-dir/a';
  const e = await rename(missing, `${missing}.b`).catch((x: unknown) => x);
  assert.ok(isFileSystemError(e));
  assert.match(
    describeFileSystemError(e),
    /^cannot rename '\/nonexistent-sluice-dir\/a' to '.*a\.b': no such file or directory \(ENOENT\)$/,
  );
  assert.ok(!isFileSystemError(new Error('x')));
  assert.ok(!isFileSystemError(Object.assign(new Error('x'), { code: 'ERR_X' })));
});
