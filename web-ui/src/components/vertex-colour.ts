/** How a vertex is drawn: its fill, text colour and a short label of what it is doing. */
export interface VertexLook {
  fill: string;
  ink: string;
  label: string;
  /** Back-pressured vertices are also hatched, so the state reads without relying on colour alone. */
  backPressured: boolean;
}

/**
 * Flink's colouring: a vertex that spends more of each second back-pressured than busy is shown back-pressured
 * (dark grey, darker the more it waits); otherwise its hue runs from blue (idle) to red (busy all the time).
 * Inputs are milliseconds per second (0–1000); missing ones give a neutral grey.
 */
export function vertexLook(busyMs: number | undefined, backPressuredMs: number | undefined): VertexLook {
  if (busyMs === undefined && backPressuredMs === undefined) {
    return { fill: '#e4e7eb', ink: '#1f2933', label: 'no metrics', backPressured: false };
  }
  const busy = clamp01((busyMs ?? 0) / 1000);
  const bp = clamp01((backPressuredMs ?? 0) / 1000);
  if (bp > busy && bp > 0) {
    const light = Math.round(45 - 30 * bp);
    return {
      fill: `hsl(0, 0%, ${light}%)`,
      ink: '#fff',
      label: `back-pressured ${Math.round(bp * 100)}%`,
      backPressured: true,
    };
  }
  // Hue 210 is Flink's idle blue, 0 its busy red; lightness dips in the middle so the text stays readable.
  const hue = Math.round(210 * (1 - busy));
  return { fill: `hsl(${hue}, 75%, 42%)`, ink: '#fff', label: `busy ${Math.round(busy * 100)}%`, backPressured: false };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
