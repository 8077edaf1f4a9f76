import type { Rex } from '../plan/rex.js';
import { modeOf } from './changelog-inference.js';
import { type JoinNode, joinSchema } from './logical-nodes.js';
import { and, conjuncts, inputRefs } from './rex-utils.js';
import { findWindowPair } from './rules-window.js';

function timeAttr(j: JoinNode, index: number): 'rowtime' | 'proctime' | undefined {
  const lw = j.left.schema.fields.length;
  const t = index < lw ? j.left.schema.fields[index]?.type : j.right.schema.fields[index - lw]?.type;
  return t !== undefined && (t.kind === 'TIMESTAMP' || t.kind === 'TIMESTAMP_LTZ') ? t.timeAttribute : undefined;
}

/** `$i` or `$i ± constant interval`: the column and the offset in ms. */
function timeTerm(r: Rex): { index: number; offset: number } | undefined {
  if (r.kind === 'input') return { index: r.index, offset: 0 };
  if (r.kind === 'call' && (r.name === '+' || r.name === '-') && r.args.length === 2) {
    const [a, b] = r.args as [Rex, Rex];
    if (
      a.kind === 'input' &&
      b.kind === 'literal' &&
      typeof b.value === 'number' &&
      b.type.kind === 'INTERVAL_DAY_TIME'
    ) {
      return { index: a.index, offset: r.name === '+' ? b.value : -b.value };
    }
    if (
      r.name === '+' &&
      b.kind === 'input' &&
      a.kind === 'literal' &&
      typeof a.value === 'number' &&
      a.type.kind === 'INTERVAL_DAY_TIME'
    ) {
      return { index: b.index, offset: a.value };
    }
  }
  return undefined;
}

/**
 * Splits a join condition into equi-keys and a residual and picks the strategy, by Flink's rules: equal window
 * start and end of two windowed inputs → window join; both time attributes bounded against each other from both
 * sides → interval join; FOR SYSTEM_TIME AS OF → temporal join (chosen by the binder); else a regular join.
 */
export function classifyJoin(j: JoinNode): JoinNode {
  const lw = j.left.schema.fields.length;
  const leftKeys: number[] = [];
  const rightKeys: number[] = [];
  const rest: Rex[] = [];
  for (const c of conjuncts(j.condition)) {
    if (c.kind === 'call' && c.name === '=' && c.args.length === 2) {
      const [a, b] = c.args as [Rex, Rex];
      if (a.kind === 'input' && b.kind === 'input') {
        if (a.index < lw && b.index >= lw) {
          leftKeys.push(a.index);
          rightKeys.push(b.index - lw);
          continue;
        }
        if (b.index < lw && a.index >= lw) {
          leftKeys.push(b.index);
          rightKeys.push(a.index - lw);
          continue;
        }
      }
    }
    rest.push(c);
  }
  const base = { ...j, leftKeys, rightKeys, residual: and(rest) };
  if (j.strategy.kind === 'temporal') return base;
  const appendOnly = modeOf(j.left) === 'insert-only' && modeOf(j.right) === 'insert-only';
  if (appendOnly && j.joinType !== 'SEMI' && j.joinType !== 'ANTI') {
    const lp = findWindowPair(j.left, leftKeys);
    const rp = findWindowPair(j.right, rightKeys);
    if (lp !== undefined && rp !== undefined) {
      const ls = leftKeys.indexOf(lp.start);
      const le = leftKeys.indexOf(lp.end);
      if (rightKeys[ls] === rp.start && rightKeys[le] === rp.end) {
        const keep = leftKeys.map((_, i) => i).filter((i) => i !== ls && i !== le);
        return {
          ...base,
          leftKeys: keep.map((i) => leftKeys[i]!),
          rightKeys: keep.map((i) => rightKeys[i]!),
          strategy: {
            kind: 'window',
            leftWindow: { start: lp.start, end: lp.end },
            rightWindow: { start: rp.start, end: rp.end },
          },
          schema: joinSchema(j.left.schema, j.right.schema, j.joinType, true),
        };
      }
    }
    // Interval join: right time within [left time + lower, left time + upper].
    let lower: number | undefined;
    let upper: number | undefined;
    let times: [number, number] | undefined;
    const residual: Rex[] = [];
    for (const c of rest) {
      const bound = c.kind === 'call' && ['<', '<=', '>', '>='].includes(c.name) && c.args.length === 2 ? c : undefined;
      const a = bound === undefined ? undefined : timeTerm(bound.args[0]!);
      const b = bound === undefined ? undefined : timeTerm(bound.args[1]!);
      if (bound !== undefined && a !== undefined && b !== undefined) {
        const aLeft = a.index < lw;
        const bLeft = b.index < lw;
        const attrA = timeAttr(j, a.index);
        const attrB = timeAttr(j, b.index);
        if (aLeft !== bLeft && attrA !== undefined && attrA === attrB) {
          const pair: [number, number] = aLeft ? [a.index, b.index - lw] : [b.index, a.index - lw];
          if (times === undefined || (times[0] === pair[0] && times[1] === pair[1])) {
            times = pair;
            // Normalise to: right - left (op) k.
            let op = bound.name;
            let k: number;
            if (aLeft) {
              // left + oa (op) right + ob  →  right - left (flip op) oa - ob
              op = ({ '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as Record<string, string>)[op]!;
              k = a.offset - b.offset;
            } else {
              // right + oa (op) left + ob  →  right - left (op) ob - oa
              k = b.offset - a.offset;
            }
            if (op === '<=') upper = Math.min(upper ?? k, k);
            else if (op === '<') upper = Math.min(upper ?? k - 1, k - 1);
            else if (op === '>=') lower = Math.max(lower ?? k, k);
            else lower = Math.max(lower ?? k + 1, k + 1);
            continue;
          }
        }
      }
      residual.push(c);
    }
    if (times !== undefined && lower !== undefined && upper !== undefined && leftKeys.length >= 0) {
      return {
        ...base,
        residual: and(residual),
        strategy: { kind: 'interval', leftTime: times[0], rightTime: times[1], lower, upper },
        schema: joinSchema(j.left.schema, j.right.schema, j.joinType, true),
      };
    }
  }
  return { ...base, strategy: { kind: 'regular' } };
}

/** Columns of the join condition that come from the left (true) or right (false) input only. */
export function side(rex: Rex, leftWidth: number): 'left' | 'right' | 'both' | 'none' {
  const refs = [...inputRefs(rex)];
  if (refs.length === 0) return 'none';
  if (refs.every((i) => i < leftWidth)) return 'left';
  if (refs.every((i) => i >= leftWidth)) return 'right';
  return 'both';
}
