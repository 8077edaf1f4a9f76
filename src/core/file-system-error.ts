/**
 * One-line descriptions of the errors Node's file-system calls throw (`ENOENT`, `EEXIST`, `EACCES`, …): what was
 * being done, to which path, and why, in words a user can act on.
 */

/** The fields Node sets on a failed system call. */
export interface SystemCallError {
  readonly code: string;
  readonly syscall: string;
  readonly path?: string;
  readonly dest?: string;
}

/** True for an error thrown by a file-system call: it carries a code, the call and a path. */
export function isFileSystemError(e: unknown): e is Error & SystemCallError {
  if (typeof e !== 'object' || e === null) return false;
  const x = e as Partial<SystemCallError>;
  return typeof x.code === 'string' && typeof x.syscall === 'string' && typeof x.path === 'string';
}

const OPERATIONS: Record<string, string> = {
  mkdir: 'create directory',
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'rename',
  unlink: 'delete',
  rmdir: 'delete directory',
  rm: 'delete',
  scandir: 'list directory',
  opendir: 'list directory',
  stat: 'read',
  lstat: 'read',
  access: 'access',
  copyfile: 'copy',
  fsync: 'sync',
  link: 'link',
  symlink: 'link',
  utime: 'touch',
  chmod: 'change permissions of',
};

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'a file of that name is in the way',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  ENOTEMPTY: 'the directory is not empty',
  EBUSY: 'the file is busy',
  ELOOP: 'too many symbolic links',
  EXDEV: 'not on the same file system',
  EIO: 'input/output error',
};

/**
 * `cannot <operation> '<path>': <reason> (<CODE>)`, e.g. `cannot create directory '/data/out': a file of that name
 * is in the way (EEXIST)`. A rename names both paths; a code without a description here is given alone.
 */
export function describeFileSystemError(e: SystemCallError): string {
  const operation = OPERATIONS[e.syscall] ?? e.syscall;
  const target = e.dest === undefined ? `'${e.path}'` : `'${e.path}' to '${e.dest}'`;
  const reason = REASONS[e.code];
  return `cannot ${operation} ${target}: ${reason === undefined ? e.code : `${reason} (${e.code})`}`;
}
