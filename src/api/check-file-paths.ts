import { realpathSync } from 'node:fs';
import { basename, dirname, resolve, sep } from 'node:path';
import { FileSink } from '../connectors/files/file-sink.js';
import { FileSource } from '../connectors/files/file-source.js';
import { PlanError } from '../core/errors.js';
import type { JobPlan } from '../plan/job-plan.js';

/**
 * Refuses a plan whose file sink writes where one of its file sources reads: the same path, an output inside an
 * input directory, or an input inside an output directory. Such a job truncates its input before reading it, or
 * reads its own output back. Paths are compared after resolving symbolic links of the parts that exist.
 *
 * @throws PlanError naming the sink, the source and both paths.
 */
export function checkFilePaths(plan: JobPlan): void {
  const inputs: { name: string; path: string }[] = [];
  const outputs: { name: string; path: string }[] = [];
  for (const node of plan.nodes) {
    if (node.kind === 'source' && node.source instanceof FileSource) {
      inputs.push({ name: node.source.name, path: canonical(node.source.path) });
    } else if (node.kind === 'sink' && node.sink instanceof FileSink) {
      outputs.push({ name: node.sink.name, path: canonical(node.sink.path) });
    }
  }
  for (const out of outputs) {
    for (const input of inputs) {
      const relation =
        out.path === input.path
          ? 'is the input'
          : out.path.startsWith(input.path + sep)
            ? 'is inside the input directory'
            : input.path.startsWith(out.path + sep)
              ? 'contains the input'
              : undefined;
      if (relation === undefined) continue;
      throw new PlanError(
        `sink '${out.name}' writes to '${out.path}', which ${relation} '${input.path}' of source '${input.name}': ` +
          'the job would overwrite or read back its own output; choose an output path outside the input',
      );
    }
  }
}

/** The absolute path with symbolic links resolved as far as the path exists. */
function canonical(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : resolve(canonical(parent), basename(absolute));
  }
}
