import dagre from '@dagrejs/dagre';
import { useMemo } from 'preact/hooks';
import { count, perMille } from '../format';
import type { PlanNode, VertexSummary } from '../types';
import { vertexLook } from './vertex-colour';

const NODE_W = 220;
const NODE_H = 78;

interface Layout {
  width: number;
  height: number;
  nodes: { id: string; x: number; y: number }[];
  edges: { from: string; to: string; strategy: string; points: { x: number; y: number }[] }[];
}

/** Lays the plan out left to right (sources left, sinks right), as Flink's dashboard does. */
function layoutPlan(nodes: PlanNode[]): Layout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 70, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  const edges: { from: string; to: string; strategy: string }[] = [];
  for (const n of nodes) {
    for (const input of n.inputs ?? []) {
      // An edge from a vertex the plan does not list would make dagre invent a node; leave it out.
      if (!ids.has(input.id)) continue;
      g.setEdge(input.id, n.id);
      edges.push({ from: input.id, to: n.id, strategy: input.ship_strategy ?? '' });
    }
  }
  dagre.layout(g);
  const graph = g.graph();
  return {
    width: graph.width ?? 0,
    height: graph.height ?? 0,
    nodes: nodes.map((n) => {
      const p = g.node(n.id);
      return { id: n.id, x: p.x, y: p.y };
    }),
    edges: edges.map((e) => ({ ...e, points: g.edge(e.from, e.to)?.points ?? [] })),
  };
}

/** The first line of a plan node's description (operators chained into the vertex follow on further lines). */
function title(node: PlanNode | undefined, vertex: VertexSummary | undefined): string {
  const first = (node?.description ?? '').split(/<br\/?>|\n/)[0]?.trim();
  return vertex?.name ?? (first !== undefined && first !== '' ? first : (node?.id ?? '?'));
}

/**
 * The job graph as SVG: one box per vertex, coloured by {@link vertexLook} from its busy and back-pressured time,
 * with parallelism and record counts; edges labelled with their ship strategy. Clicking a vertex selects it.
 */
export function JobGraph(props: {
  nodes: PlanNode[];
  vertices: VertexSummary[];
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  const key = props.nodes.map((n) => `${n.id}<${(n.inputs ?? []).map((i) => i.id).join(',')}`).join(';');
  const layout = useMemo(() => layoutPlan(props.nodes), [key]);
  const byId = new Map(props.vertices.map((v) => [v.id, v]));
  const nodeById = new Map(props.nodes.map((n) => [n.id, n]));
  if (props.nodes.length === 0) return <p class="muted">The job has no plan yet.</p>;
  return (
    <svg class="job-graph" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`}>
      <title>Job graph</title>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" fill="#7b8794" />
        </marker>
        <pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="3" height="8" fill="rgba(255,255,255,0.18)" />
        </pattern>
      </defs>
      {layout.edges.map((e) => {
        const mid = e.points[Math.floor(e.points.length / 2)];
        return (
          <g key={`${e.from}-${e.to}`} class="edge">
            <polyline
              points={e.points.map((p) => `${p.x},${p.y}`).join(' ')}
              fill="none"
              stroke="#7b8794"
              stroke-width="1.5"
              marker-end="url(#arrow)"
            />
            {mid && e.strategy !== '' && (
              <text x={mid.x} y={mid.y - 5} text-anchor="middle" class="edge-label">
                {e.strategy}
              </text>
            )}
          </g>
        );
      })}
      {layout.nodes.map((n) => {
        const v = byId.get(n.id);
        const m = v?.metrics;
        const look = vertexLook(m?.['busy-time-ms-per-second'], m?.['backpressured-time-ms-per-second']);
        const x = n.x - NODE_W / 2;
        const y = n.y - NODE_H / 2;
        const name = title(nodeById.get(n.id), v);
        return (
          // biome-ignore lint/a11y/useSemanticElements: SVG has no <button>; the group takes its role and keys.
          <g
            key={n.id}
            class={`vertex${props.selected === n.id ? ' selected' : ''}`}
            data-vertex={n.id}
            data-backpressured={String(look.backPressured)}
            role="button"
            tabIndex={0}
            onClick={() => props.onSelect(n.id)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') props.onSelect(n.id);
            }}
          >
            <title>{`${name}\n${look.label}, back-pressured ${perMille(m?.['backpressured-time-ms-per-second'])}`}</title>
            <rect x={x} y={y} width={NODE_W} height={NODE_H} rx="6" fill={look.fill} />
            {look.backPressured && <rect x={x} y={y} width={NODE_W} height={NODE_H} rx="6" fill="url(#hatch)" />}
            <text x={x + 10} y={y + 20} fill={look.ink} class="vertex-name">
              {name.length > 27 ? `${name.slice(0, 26)}…` : name}
            </text>
            <text x={x + 10} y={y + 40} fill={look.ink} class="vertex-detail">
              {`parallelism ${v?.parallelism ?? nodeById.get(n.id)?.parallelism ?? '–'} · ${look.label}`}
            </text>
            <text x={x + 10} y={y + 60} fill={look.ink} class="vertex-detail">
              {`in ${count(m?.['read-records'])} · out ${count(m?.['write-records'])}`}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
