import type { SqlOperatorOptions } from '../operators/common.js';
import { intervalJoin } from '../operators/interval-join.js';
import { regularJoin } from '../operators/regular-join.js';
import { temporalJoin } from '../operators/temporal-join.js';
import { windowJoin } from '../operators/window-join.js';
import type { Row } from '../runtime/row.js';
import { modeOf } from './changelog-inference.js';
import { describe } from './explain.js';
import type { JoinNode } from './logical-nodes.js';
import type { Lowered } from './lower.js';
import type { LowerContext } from './lower-context.js';

/** A join onto the operator its strategy names. */
export function lowerJoin(
  ctx: LowerContext,
  node: JoinNode,
  left: Lowered,
  right: Lowered,
  opts: SqlOperatorOptions,
): Lowered {
  const lw = node.left.schema.fields.length;
  const rw = node.right.schema.fields.length;
  const condition =
    node.residual === undefined
      ? undefined
      : (ctx.compiler.joinPredicate(node.residual, lw, opts.name) as (l: Row, r: Row) => boolean);
  const s = node.strategy;
  switch (s.kind) {
    case 'regular':
      return {
        stream: regularJoin(
          left.stream,
          left.mode,
          right.stream,
          right.mode,
          node.joinType,
          node.leftKeys,
          node.rightKeys,
          lw,
          rw,
          condition,
          opts,
        ),
        mode: modeOf(node),
      };
    case 'interval': {
      if (node.joinType === 'SEMI' || node.joinType === 'ANTI')
        return ctx.fail('Interval joins do not support SEMI / ANTI');
      const stream = intervalJoin(
        left.stream,
        right.stream,
        node.joinType,
        node.leftKeys,
        node.rightKeys,
        s.leftTime,
        s.rightTime,
        s.lower,
        s.upper,
        lw,
        rw,
        condition,
        opts,
      );
      return { stream, mode: 'insert-only' };
    }
    case 'window': {
      const stream = windowJoin(
        left.stream,
        right.stream,
        node.joinType,
        s.leftWindow,
        s.rightWindow,
        node.leftKeys,
        node.rightKeys,
        lw,
        rw,
        condition,
        opts,
      );
      return { stream, mode: 'insert-only' };
    }
    case 'temporal': {
      if (left.mode !== 'insert-only') {
        ctx.fail(
          `Temporal join doesn't support consuming update changes which is produced by node ${describe(node.left)}`,
        );
      }
      if (node.joinType !== 'INNER' && node.joinType !== 'LEFT')
        return ctx.fail('Temporal joins support INNER and LEFT joins only');
      const stream = temporalJoin(
        left.stream,
        right.stream,
        right.mode,
        node.joinType,
        node.leftKeys,
        node.rightKeys,
        s.probeTime,
        s.versionTime,
        lw,
        rw,
        condition,
        s.eventTime,
        opts,
      );
      return { stream, mode: 'insert-only' };
    }
  }
}
