import { describe, expect, it } from 'vitest';
import { areaPath, linePath, linearScale, stackRects } from './chart';

describe('chart geometry', () => {
  const s = linearScale(0, 100, 0, 100, 104, 104, 2);
  it('maps corners', () => {
    expect(s.x(0)).toBe(2);
    expect(s.x(100)).toBe(102);
    expect(s.y(0)).toBe(102);
    expect(s.y(100)).toBe(2);
  });
  it('draws lines with gaps and closed areas', () => {
    const pts = [
      { t: 0, v: 0 },
      { t: 10, v: 10 },
      { t: 90, v: 50 },
    ];
    expect(linePath(pts, s, 30)).toBe('M2.0,102.0L12.0,92.0M92.0,52.0');
    expect(areaPath(pts, s)).toMatch(/Z$/);
    expect(areaPath([], s)).toBe('');
  });
  it('stacks series to the tallest bucket', () => {
    const rects = stackRects(
      [
        { key: 'a', values: [1, 2] },
        { key: 'b', values: [1, 0] },
      ],
      2,
      100,
      50,
      0,
    );
    expect(rects).toHaveLength(3);
    const tallest = rects.filter((r) => r.bucket === 0 || r.bucket === 1);
    expect(Math.max(...tallest.map((r) => r.h))).toBeCloseTo(50);
    expect(rects.find((r) => r.key === 'b')?.y).toBeCloseTo(0);
  });
  it('survives empty input', () => {
    expect(stackRects([], 0, 100, 50)).toEqual([]);
  });
});
