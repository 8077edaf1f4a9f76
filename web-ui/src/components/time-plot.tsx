import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a {@link TimePlot}. */
export interface PlotSeries {
  label: string;
  stroke: string;
  /** Formats a value for the legend. */
  format: (v: number | null) => string;
  /** Which y scale (and axis) the line uses; a second scale gets an axis on the right. */
  scale?: string;
  /** A fixed range for the line's scale (e.g. 0–1000 for milliseconds per second); otherwise it fits the data. */
  range?: [number, number];
}

/**
 * A uPlot chart of `data` ([x in epoch seconds, ...one array per series]) that updates in place when `data`
 * changes (no re-creation, so following a running job costs one `setData` a second). Its width follows the container.
 */
export function TimePlot(props: { title: string; series: PlotSeries[]; data: (number | null)[][]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => `${s.label}:${s.scale ?? 'y'}`).join(',');

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const scales = [...new Set(props.series.map((s) => s.scale ?? 'y'))];
    const opts: uPlot.Options = {
      title: props.title,
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 180,
      scales: Object.fromEntries(
        props.series.filter((s) => s.range !== undefined).map((s) => [s.scale ?? 'y', { range: s.range }]),
      ),
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: 1.5,
          scale: s.scale ?? 'y',
          value: (_u: uPlot, v: number | null) => s.format(v),
        })),
      ],
      axes: [
        {},
        ...scales.map((scale, i) => ({
          scale,
          side: i === 0 ? 3 : 1,
          grid: { show: i === 0 },
          size: 60,
          values: (_u: uPlot, ticks: number[]) =>
            ticks.map((t) => props.series.find((s) => (s.scale ?? 'y') === scale)!.format(t)),
        })),
      ],
    };
    const u = new uPlot(opts, props.data as uPlot.AlignedData, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: opts.height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(props.data as uPlot.AlignedData);
  }, [props.data]);

  return <div class="time-plot" ref={box} data-points={props.data[0]?.length ?? 0} />;
}
