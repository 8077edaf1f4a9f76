import { type Command, InvalidArgumentError, Option } from 'commander';
import { ENGINE_OPTIONS, flagOf } from '../web/engine-options.js';
import {
  cancelCommand,
  listCommand,
  logsCommand,
  savepointClientCommand,
  stopCommand,
  submitCommand,
} from './client-commands.js';
import { serveCommand } from './serve-command.js';

const DEFAULT_SERVER = 'http://127.0.0.1:8081';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port, 0-65535');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** The default server of the client commands, overridable by SLUICE_SERVER. */
const serverOption = () =>
  new Option('--server <url>', 'the sluice service').default(process.env.SLUICE_SERVER ?? DEFAULT_SERVER);

/**
 * Adds `sluice serve` and the client commands (`submit`, `list`, `cancel`, `stop`, `logs`) to the program; `sluice
 * savepoint JID` is the client form of the existing `savepoint` command (main.ts). `setExit` receives each command's
 * exit code; `jobArgs` are the words after `--`.
 */
export function addServiceCommands(program: Command, jobArgs: string[], setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('run the service: accepts jobs over REST, runs each in its own process, keeps their history')
    .option('--port <n>', 'port, or the next free one after it (0: any free port)', port, 8081)
    .option('--host <host>', 'address to bind; anything but loopback needs a token', '127.0.0.1')
    .option('--data-dir <dir>', 'where jobs, their documents and logs are kept', 'sluice-data')
    .option('--token <token>', 'require Authorization: Bearer <token> on every API request (default: SLUICE_TOKEN)')
    .option('--generate-token', 'generate a token and print it once on stderr')
    .option(
      '--allow-dir <dir>',
      'directory job files may come from (repeatable; default: this directory, and the temp directory on loopback)',
      collect,
      [],
    )
    .option(
      '--allow-origin <origin>',
      'origin besides the service itself allowed to send mutating requests (repeatable)',
      collect,
      [],
    )
    .option('--max-history <n>', 'ended jobs kept (default 100)', positive, 100)
    .option('--max-log-mb <n>', 'cap of each log file of a job, in MiB (default 50)', positive, 50)
    .option('--static-dir <dir>', "the dashboard's built files")
    // The command each job runs as (default: this package's bin/sluice.mjs); tests put a stand-in there.
    .addOption(new Option('--job-command <file>').hideHelp())
    .action(async (opts) => setExit(await serveCommand(opts)));
  const submit = program
    .command('submit')
    .description('submit a job file (job arguments after --) or --sql FILE to a sluice service; prints the job id')
    .argument('[job]', 'job file')
    .option('--sql <file>', 'a file of SQL statements instead of a job file')
    .option('--name <name>', 'display name of the job');
  for (const [key, schema] of Object.entries(ENGINE_OPTIONS)) {
    const type = (schema as { type: string }).type;
    submit.option(
      type === 'boolean' ? flagOf(key) : `${flagOf(key)} <value>`,
      `engine option ${flagOf(key)} of sluice run`,
    );
  }
  submit
    .addOption(serverOption())
    .action(async (job: string | undefined, opts) => setExit(await submitCommand(job, jobArgs, opts)));
  program
    .command('list')
    .description('list the jobs of a sluice service')
    .addOption(serverOption())
    .action(async (opts) => setExit(await listCommand(opts)));
  program
    .command('cancel')
    .description('cancel a job of a sluice service')
    .argument('<jid>')
    .addOption(serverOption())
    .action(async (jid: string, opts) => setExit(await cancelCommand(jid, opts)));
  program
    .command('stop')
    .description('stop a job of a sluice service with a savepoint; prints its location')
    .argument('<jid>')
    .option('--target <dir>', 'where to write the savepoint (default: in the data directory)')
    .addOption(serverOption())
    .action(async (jid: string, opts) => setExit(await stopCommand(jid, opts)));
  program
    .command('logs')
    .description("print a job's log lines from a sluice service")
    .argument('<jid>')
    .option('-f, --follow', 'keep printing new lines until the job ends')
    .option('--source <source>', "'log' (structured, default), 'stdout' or 'stderr'")
    .option('-q, --query <text>', 'only lines containing this text')
    .addOption(serverOption())
    .action(async (jid: string, opts) =>
      setExit(await logsCommand(jid, { ...opts, ...(opts.query === undefined ? {} : { q: opts.query }) })),
    );
}

export { savepointClientCommand, serverOption };
