let installed = false;

/**
 * Makes the command end quietly, with exit code 0, when the reader of its standard output goes away (EPIPE), as in
 * `sluice run job.ts | head -1`: nothing more can be shown, and that is what the user asked for. Output of worker
 * threads reaches the terminal through this process's stdout, so this one listener covers them too. Other errors
 * on stdout are rethrown.
 */
export function endQuietlyWhenStdoutCloses(): void {
  if (installed) return;
  installed = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
