import { Command, InvalidArgumentError } from 'commander';
import { analyzeCommand } from './analyze-command.js';
import { endQuietlyWhenStdoutCloses } from './closed-stdout.js';
import { initCommand } from './init/init-command.js';
import { nexmarkGenerateCommand, safeInteger } from './nexmark-command.js';
import { addRestartOptions } from './restart-options.js';
import { runCommand } from './run-command.js';
import { savepointCommand } from './savepoint-command.js';
import { addServiceCommands, savepointClientCommand, serverOption } from './service-commands.js';
import { type SqlCommandOptions, sqlCommand } from './sql-command.js';

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer >= 0');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return n;
}

function jobIdArg(value: string): string {
  if (!/^[0-9a-f]{32}$/.test(value)) throw new InvalidArgumentError('expected 32 lower-case hex digits');
  return value;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/**
 * The engine options `sluice run` and `sluice sql` share (parallelism, mode, checkpoints, savepoints, cluster).
 * The options for `sluice serve`'s job processes are listed, not hidden: the service reads this help to learn
 * whether its job processes speak the protocol.
 */
function shareArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a number from 0 to 1');
  return n;
}

function addEngineOptions(command: Command): Command {
  return command
    .option('-p, --parallelism <n>', 'parallel subtasks per operator, one worker thread each', positiveInt)
    .option('--max-parallelism <n>', 'number of key groups (upper bound for rescaling keyed state)', positiveInt)
    .option('--mode <mode>', "'streaming' (default) or 'batch' (bounded input only)", (v) => {
      if (v !== 'streaming' && v !== 'batch') throw new InvalidArgumentError("expected 'streaming' or 'batch'");
      return v;
    })
    .option('--batch-size <n>', 'records per batch', positiveInt)
    .option('--no-local-aggregation', 'do not pre-aggregate mergeable keyed aggregates before the exchange')
    .option('--state-backend <kind>', "keyed state in 'heap' (default) or on 'disk' (LMDB)", (v) => {
      if (v !== 'heap' && v !== 'disk') throw new InvalidArgumentError("expected 'heap' or 'disk'");
      return v;
    })
    .option('--state-dir <dir>', 'working directory of the disk state backend (default: under the temp directory)')
    .option('--checkpoint-dir <dir>', 'exactly-once: checkpoint into DIR and resume from it when run again')
    .option(
      '--checkpoint-interval <ms>',
      'time between checkpoints (default 1000; at least 1000 apart while no input comes)',
      positiveInt,
    )
    .option(
      '--checkpoint-timeout <ms>',
      'abandon a checkpoint not complete after this long (default 60000)',
      positiveInt,
    )
    .option('--min-pause <ms>', 'least time between the end of one checkpoint and the next', nonNegativeInt)
    .option('--retained-checkpoints <n>', 'complete checkpoints kept (default 2)', positiveInt)
    .option(
      '--checkpoint-inline-bytes <n>',
      "a subtask's state up to this size goes into the checkpoint's metadata instead of a file (default 16384; 0: always a file)",
      nonNegativeInt,
    )
    .option('--fresh', 'ignore existing checkpoints: delete them and start from the beginning')
    .option(
      '--autoscale',
      'rescale operators from their measured true processing rates (DS2); checkpoints in a temporary directory without --checkpoint-dir',
    )
    .option(
      '--autoscale-policy <policy>',
      "'ds2' (default) or 'threshold' (one more subtask when busy > 80 %)",
      (v) => {
        if (v !== 'ds2' && v !== 'threshold') throw new InvalidArgumentError("expected 'ds2' or 'threshold'");
        return v;
      },
    )
    .option(
      '--autoscale-window <ms>',
      'autoscaler: metrics window and time between decisions (default 5000)',
      positiveInt,
    )
    .option(
      '--autoscale-stabilization <ms>',
      'autoscaler: no metrics this long after a (re)start (default 3000)',
      nonNegativeInt,
    )
    .option('--autoscale-catch-up <ms>', 'autoscaler: time to read a source backlog in (default 30000)', positiveInt)
    .option('--autoscale-target-utilization <x>', 'autoscaler: busy share to size for (default 0.7)', shareArg)
    .option(
      '--autoscale-utilization-boundary <x>',
      'autoscaler: no change within target ± this (default 0.3)',
      shareArg,
    )
    .option('--autoscale-min-parallelism <n>', 'autoscaler: lowest parallelism of a vertex (default 1)', positiveInt)
    .option(
      '--autoscale-max-parallelism <n>',
      'autoscaler: highest parallelism of a vertex (default 2 × cores, at least 8)',
      positiveInt,
    )
    .option(
      '--autoscale-max-scale-down <x>',
      'autoscaler: largest share a parallelism falls by at once (default 0.6)',
      shareArg,
    )
    .option('--from-savepoint <dir>', 'start from a savepoint (any parallelism)')
    .option(
      '--allow-non-restored-state',
      'restore even if the checkpoint or savepoint holds state of operator uids this job lacks (that state is dropped)',
    )
    .option(
      '--cluster <url>',
      'run as one process of a cluster job on Kafka (kafka://host:port[,host:port]); start it N times',
    )
    .option('--job-id <id>', 'cluster mode: the job every process with this id works on together')
    .option(
      '--session-timeout <ms>',
      'cluster mode: how long a silent process keeps its tasks (default 10000)',
      positiveInt,
    )
    .option(
      '--threads <n>',
      "cluster mode: worker threads that run this process's tasks (default: the cores; 0: the main thread)",
      nonNegativeInt,
    )
    .option(
      '--tasks-per-stage <n>',
      'cluster mode: tasks of stages after a keyBy (default: source partitions)',
      positiveInt,
    )
    .option(
      '--web [port]',
      'serve the REST API and dashboard of this job on 127.0.0.1 (default port 8081, or the next free one; 0: any)',
      port,
    )
    .option('--web-linger', 'with --web: keep serving after the job ended, until Ctrl-C')
    .option('--web-port-file <file>', 'for sluice serve: write the bound web port to FILE')
    .option('--job-dir <dir>', 'for sluice serve: keep DIR/job.json current and log to DIR/logs.jsonl')
    .option('--log-file <file>', 'append every log line as JSON to FILE')
    .option(
      '--web-job-id <jid>',
      'for sluice serve: the job id (32 hex digits) shown by the REST API, logs and metrics',
      jobIdArg,
    )
    .option('-v, --verbose', 'report every checkpoint on stderr')
    .option('--progress', 'show progress on stderr, also when it is not a terminal (then a plain line every 2 s)')
    .option('--no-progress', 'never show progress');
}

/**
 * The command line: `sluice run JOB [engine options] -- [job arguments]`.
 * Returns the exit code instead of exiting, so it can be called from tests.
 */
export async function main(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const engineArgs = dash === -1 ? argv : argv.slice(0, dash);
  const jobArgs = dash === -1 ? [] : argv.slice(dash + 1);
  let exitCode = 0;
  endQuietlyWhenStdoutCloses();
  const program = new Command('sluice')
    .description('Sluice: stateful stream processing for TypeScript')
    .exitOverride()
    .showHelpAfterError();
  const run = addEngineOptions(
    program
      .command('run')
      .description('run a job file (its default export is defineJob(...)); job arguments follow --')
      .argument('<job>', 'job file (.ts or .js)'),
  );
  addRestartOptions(run).action(async (job: string, opts: Record<string, unknown>) => {
    exitCode = await runCommand(job, jobArgs, opts);
  });
  const analyze = addEngineOptions(
    program
      .command('analyze')
      .description('run a job file and report its critical path and bottleneck per window; job arguments follow --')
      .argument('<job>', 'job file (.ts or .js)'),
  )
    .option('--window <seconds>', 'seconds per report (default 5); a last report covers the end of the run', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds > 0');
      return n;
    })
    .option('--json', 'print each report as one line of JSON');
  addRestartOptions(analyze).action(async (job: string, opts: Record<string, unknown>) => {
    exitCode = await analyzeCommand(job, jobArgs, opts);
  });
  program
    .command('savepoint')
    .description('take a savepoint: of the job of a sluice service (JID), or of the job running with --checkpoint-dir')
    .argument('[jid]', 'a job of the sluice service at --server')
    .option('--checkpoint-dir <dir>', "the running job's checkpoint directory (without JID)")
    .option('--target <dir>', 'where to write the savepoint (required without JID)')
    .option('--stop', 'stop the job once the savepoint is written (its output up to the savepoint committed)')
    .option('--timeout <ms>', 'how long to wait for the job (default 60000)', positiveInt)
    .addOption(serverOption())
    .action(
      async (
        jid: string | undefined,
        opts: { checkpointDir?: string; target?: string; stop?: boolean; timeout?: number; server: string },
      ) => {
        if (jid !== undefined) {
          exitCode = await savepointClientCommand(jid, opts);
          return;
        }
        if (opts.checkpointDir === undefined || opts.target === undefined) {
          process.stderr.write('error: give a job id, or --checkpoint-dir DIR and --target DIR\n');
          exitCode = 2;
          return;
        }
        exitCode = await savepointCommand({ ...opts, checkpointDir: opts.checkpointDir, target: opts.target });
      },
    );
  addServiceCommands(program, jobArgs, (code) => {
    exitCode = code;
  });
  program
    .command('init')
    .description('create a new project in DIR: a job, its unit test, sample data, package.json and tsconfig')
    .argument('<dir>', 'directory to create (missing or empty)')
    .option('--name <name>', 'package name of the project (default: from the directory name)')
    .option('--sluice <spec>', 'how the project depends on sluice (default: the sluice running this command)')
    .action((dir: string, opts: { name?: string; sluice?: string }) => {
      exitCode = initCommand(dir, opts);
    });
  program
    .command('nexmark')
    .description('Nexmark benchmark data')
    .command('generate')
    .description('write events of the seeded Nexmark generator as JSON Lines, one event per line')
    .showHelpAfterError(false)
    .requiredOption('--events <n>', 'number of events', positiveInt)
    .option('--seed <n>', 'seed of the generator (integer, default 0)', safeInteger)
    .option('--base-time <ms>', 'event time of the first event, epoch ms (default 0)', safeInteger)
    .requiredOption('--output <file>', 'file to write')
    .action(async (opts: { events: number; seed?: number; baseTime?: number; output: string }) => {
      exitCode = await nexmarkGenerateCommand(opts);
    });
  addRestartOptions(
    addEngineOptions(
      program
        .command('sql')
        .description('run a Flink SQL script (-f FILE or -e SQL); without either, open the interactive SQL client')
        .option('-f, --file <file>', 'SQL script to run')
        .option('-e, --execute <sql>', 'SQL statements to run')
        .option(
          '-D, --define <key=value>',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax of SQL scripts, shown literally
          'value of ${KEY} in the script (repeatable)',
          (v: string, all: string[] = []) => [...all, v],
        ),
    ),
  ).action(async (opts: Record<string, unknown>) => {
    exitCode = await sqlCommand(opts as SqlCommandOptions);
  });
  try {
    await program.parseAsync(engineArgs, { from: 'user' });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code ?? 2;
  }
  return exitCode;
}
