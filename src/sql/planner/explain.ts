import type { Rex } from '../plan/rex.js';
import type { ChangelogMode } from '../runtime/row.js';
import { modeOf } from './changelog-inference.js';
import { type AggSpec, inputsOf, type LogicalNode } from './logical-nodes.js';
import { explainRex } from './rex-utils.js';

/** Flink's short changelog notation. */
export function modeText(mode: ChangelogMode): string {
  return mode === 'insert-only' ? 'I' : mode === 'upsert' ? 'I,UA,D' : 'I,UB,UA,D';
}

function names(node: LogicalNode): string[] {
  return node.schema.fields.map((f) => f.name);
}

function aggText(c: AggSpec, inNames: readonly string[], outName: string): string {
  const args =
    c.args.length === 0 && c.function.toUpperCase() === 'COUNT'
      ? '*'
      : c.args.map((a) => inNames[a] ?? `$${a}`).join(', ');
  const filter = c.filter === undefined ? '' : ` FILTER ${inNames[c.filter] ?? `$${c.filter}`}`;
  return `${c.function.toUpperCase()}(${c.distinct ? 'DISTINCT ' : ''}${args})${filter} AS ${outName}`;
}

function list(xs: readonly string[]): string {
  return `[${xs.join(', ')}]`;
}

function windowText(w: { type: string } & Record<string, unknown>): string {
  const parts = Object.entries(w)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `${k}=[${v} ms]`);
  return `${w.type}(${parts.join(', ')})`;
}

/** One line describing a node as Flink's plans do: `GroupAggregate(groupBy=[a], select=[a, COUNT(*) AS c])`. */
export function describe(node: LogicalNode): string {
  const out = names(node);
  const inNames = (i = 0) => names(inputsOf(node)[i]!);
  const rex = (r: Rex, ns: readonly string[]) => explainRex(r, ns);
  switch (node.kind) {
    case 'scan':
      return `TableSourceScan(table=[[${node.table.qualifiedName.split('.').join(', ')}]], fields=${list(out)})`;
    case 'calc': {
      const ns = inNames();
      const sel = node.projects.map((p, i) => {
        const t = rex(p, ns);
        return t === out[i] ? t : `${t} AS ${out[i]}`;
      });
      return `Calc(select=${list(sel)}${node.condition === undefined ? '' : `, where=[${rex(node.condition, ns)}]`})`;
    }
    case 'aggregate': {
      const ns = inNames();
      const g = node.groupKeys.length;
      const select = [
        ...node.groupKeys.map((k) => ns[k] ?? `$${k}`),
        ...node.calls.map((c, i) => aggText(c, ns, out[g + i]!)),
      ];
      return `GroupAggregate(${g > 0 ? `groupBy=${list(node.groupKeys.map((k) => ns[k]!))}, ` : ''}select=${list(select)})`;
    }
    case 'windowAggregate': {
      const ns = inNames();
      const g = node.keys.length;
      const select = [
        ...node.keys.map((k) => ns[k]!),
        ...node.calls.map((c, i) => aggText(c, ns, out[g + 3 + i]!)),
        'window_start',
        'window_end',
        'window_time',
      ];
      return `WindowAggregate(${g > 0 ? `groupBy=${list(node.keys.map((k) => ns[k]!))}, ` : ''}window=[${windowText(node.window as never)}${node.cascaded ? ' reusing input windows' : ''}], select=${list(select)})`;
    }
    case 'windowTvf':
      return `WindowTableFunction(window=[${windowText(node.window as never)}], time=[${inNames()[node.timeIndex]}])`;
    case 'over': {
      const ns = inNames();
      return `OverAggregate(partitionBy=${list(node.partition.map((p) => ns[p]!))}, orderBy=${list(node.orderBy.map((o) => `${ns[o.index]} ${o.descending ? 'DESC' : 'ASC'}`))}, select=${list(node.calls.map((c) => `${c.function}(${c.args.map((a) => ns[a]).join(', ')})`))})`;
    }
    case 'rank': {
      const ns = inNames();
      return `Rank(rankType=[${node.function}], rankRange=[rankStart=${node.rankStart}, rankEnd=${node.rankEnd}], partitionBy=${list(node.partition.map((p) => ns[p]!))}, orderBy=${list(node.sortKeys.map((o) => `${ns[o.index]} ${o.descending ? 'DESC' : 'ASC'}`))}, select=${list(out)})`;
    }
    case 'deduplicate': {
      const ns = inNames();
      return `Deduplicate(keep=[${node.keepLast ? 'LastRow' : 'FirstRow'}], key=${list(node.partition.map((p) => ns[p]!))}, order=[${node.rowtime ? 'ROWTIME' : 'PROCTIME'}])`;
    }
    case 'windowRank': {
      const ns = inNames();
      return `WindowRank(rankType=[${node.function}], rankRange=[rankStart=${node.rankStart}, rankEnd=${node.rankEnd}], partitionBy=${list(node.partition.map((p) => ns[p]!))}, orderBy=${list(node.sortKeys.map((o) => `${ns[o.index]} ${o.descending ? 'DESC' : 'ASC'}`))}, window=[${ns[node.windowStart]}, ${ns[node.windowEnd]}])`;
    }
    case 'join': {
      const ns = [...names(node.left), ...names(node.right)];
      const where = node.condition === undefined ? 'true' : rex(node.condition, ns);
      const kind = { regular: 'Join', interval: 'IntervalJoin', window: 'WindowJoin', temporal: 'TemporalJoin' }[
        node.strategy.kind
      ];
      const extra =
        node.strategy.kind === 'interval'
          ? `, windowBounds=[lower=${node.strategy.lower}, upper=${node.strategy.upper}]`
          : '';
      return `${kind}(joinType=[${node.joinType}Join], where=[${where}]${extra}, select=${list(out)})`;
    }
    case 'union':
      return `Union(all=[true], union=${list(out)})`;
    case 'values':
      return `Values(tuples=[${node.rows.length} rows], values=${list(out)})`;
    case 'asyncCall': {
      const ns = inNames();
      return `AsyncCalc(calls=${list(node.calls.map((c) => `${c.function}(${c.args.map((a) => ns[a]).join(', ')})`))})`;
    }
    case 'correlate': {
      const ns = inNames();
      const g = node.generator;
      const args = (xs: readonly Rex[]) => xs.map((a) => rex(a, ns)).join(', ');
      const invocation =
        g.kind === 'table'
          ? `${g.function}(${args(g.args)})`
          : g.kind === 'unnest'
            ? `UNNEST${g.withOrdinality ? ' WITH ORDINALITY' : ''}(${args(g.args)})`
            : `REPLICATE_ROWS(${ns[g.count]})`;
      const cond = node.condition === undefined ? '' : `, condition=[${rex(node.condition, out)}]`;
      return `Correlate(invocation=[${invocation}], select=${list(out)}${cond}, joinType=[${node.joinType}])`;
    }
    case 'expand': {
      const ns = inNames();
      const sets = node.projects.map(
        (ps) =>
          `{${ps
            .map((p, i) => {
              const t = rex(p, ns);
              return t === out[i] ? t : `${t} AS ${out[i]}`;
            })
            .join(', ')}}`,
      );
      return `Expand(projects=[${sets.join(', ')}])`;
    }
    case 'sort': {
      const ns = inNames();
      return `${node.temporal ? 'TemporalSort' : 'Sort'}(orderBy=${list(node.sortKeys.map((o) => `${ns[o.index]} ${o.descending ? 'DESC' : 'ASC'}`))})`;
    }
    case 'datastream':
      return `DataStreamScan(table=[${node.name}], fields=${list(out)})`;
  }
}

/** The plan as an indented tree, each node with its changelog mode (Flink's EXPLAIN CHANGELOG_MODE). */
export function explainTree(node: LogicalNode, header?: string): string {
  const lines: string[] = [];
  const visit = (n: LogicalNode, indent: string, marker: string) => {
    const d = describe(n);
    lines.push(`${indent}${marker}${d.slice(0, -1)}, changelogMode=[${modeText(modeOf(n))}])`);
    const kids = inputsOf(n);
    const childIndent = indent + (marker === '' ? '' : marker === ':- ' ? ':  ' : '   ');
    kids.forEach((k, i) => visit(k, childIndent, i < kids.length - 1 ? ':- ' : '+- '));
  };
  if (header === undefined) visit(node, '', '');
  else {
    lines.push(header);
    visit(node, '', '+- ');
  }
  return lines.join('\n');
}
