// Geometry for the SVG charts: pure functions from data to paths, so the
// components stay declarative and the maths is unit-tested.

export interface Point {
  t: number; // ms since epoch
  v: number; // 0..100 for usage, any for counts
}

export interface Scale {
  x: (t: number) => number;
  y: (v: number) => number;
}

export function linearScale(
  t0: number,
  t1: number,
  v0: number,
  v1: number,
  width: number,
  height: number,
  pad = 2,
): Scale {
  const dt = t1 - t0 || 1;
  const dv = v1 - v0 || 1;
  return {
    x: (t) => pad + ((t - t0) / dt) * (width - 2 * pad),
    y: (v) => height - pad - ((v - v0) / dv) * (height - 2 * pad),
  };
}

/** An SVG path through the points, with gaps where samples are further apart than maxGap. */
export function linePath(points: Point[], s: Scale, maxGap = Infinity): string {
  let d = '';
  let prev: Point | undefined;
  for (const p of points) {
    const cmd = !prev || p.t - prev.t > maxGap ? 'M' : 'L';
    d += `${cmd}${s.x(p.t).toFixed(1)},${s.y(p.v).toFixed(1)}`;
    prev = p;
  }
  return d;
}

/** The area under a line, closed down to the baseline value. */
export function areaPath(points: Point[], s: Scale, base = 0): string {
  if (points.length === 0) return '';
  const first = points[0];
  const last = points[points.length - 1];
  return `${linePath(points, s)}L${s.x(last.t).toFixed(1)},${s.y(base).toFixed(1)}L${s.x(first.t).toFixed(1)},${s.y(base).toFixed(1)}Z`;
}

export interface StackSeries {
  key: string;
  values: number[]; // one per bucket
}

export interface StackRect {
  key: string;
  bucket: number;
  x: number;
  y: number;
  w: number;
  h: number;
  value: number;
}

/** Rectangles of a stacked bar chart; buckets left to right, series bottom to top. */
export function stackRects(series: StackSeries[], buckets: number, width: number, height: number, gap = 2): StackRect[] {
  const totals = Array.from({ length: buckets }, (_, i) => series.reduce((n, s) => n + (s.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const bw = buckets > 0 ? width / buckets : 0;
  const out: StackRect[] = [];
  for (let i = 0; i < buckets; i++) {
    let y = height;
    for (const s of series) {
      const v = s.values[i] ?? 0;
      if (v <= 0) continue;
      const h = (v / max) * height;
      y -= h;
      out.push({ key: s.key, bucket: i, x: i * bw + gap / 2, y, w: Math.max(1, bw - gap), h, value: v });
    }
  }
  return out;
}
