import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatBytes, formatCents, formatClock, formatCount, formatDuration, formatPct, levelOf, parseTime, resetsIn } from './format';

describe('format', () => {
  it('formats durations the way people say them', () => {
    expect(formatDuration(0)).toBe('now');
    expect(formatDuration(-5)).toBe('now');
    expect(formatDuration(NaN)).toBe('now');
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(12 * 60_000)).toBe('12 m');
    expect(formatDuration(72 * 60_000)).toBe('1 h 12 m');
    expect(formatDuration(120 * 60_000)).toBe('2 h');
    expect(formatDuration((3 * 24 + 4) * 3600_000)).toBe('3 d 4 h');
  });
  it('never shows Invalid date', () => {
    expect(parseTime(null)).toBeNull();
    expect(parseTime('')).toBeNull();
    expect(parseTime('not a date')).toBeNull();
    expect(resetsIn(undefined, Date.now())).toBe('');
    expect(resetsIn('garbage', Date.now())).toBe('');
  });
  it('counts down to a reset', () => {
    const now = Date.parse('2026-11-28T10:00:00Z');
    expect(resetsIn('2026-11-28T11:12:00Z', now)).toBe('resets in 1 h 12 m');
    expect(resetsIn('2026-11-28T09:00:00Z', now)).toBe('resetting now');
  });
  it('clamps percentages and picks levels', () => {
    expect(formatPct(81.46)).toBe('81 %');
    expect(formatPct(140)).toBe('100 %');
    expect(formatPct(null)).toBe('–');
    expect(levelOf(79.9, 80, 95)).toBe('ok');
    expect(levelOf(80, 80, 95)).toBe('warn');
    expect(levelOf(95, 80, 95)).toBe('crit');
    expect(levelOf(undefined, 80, 95)).toBe('ok');
  });
  it('formats money and counts', () => {
    expect(formatCents(1234, 'USD', 'en-US')).toBe('$12.34');
    expect(formatCents(500, 'XXX-not-a-currency')).toBe('5.00 XXX-not-a-currency');
    expect(formatCount(1_234_567)).toBe('1.2 M');
    expect(formatCount(999)).toBe('999');
  });

  describe('formatClock', () => {
    afterEach(() => vi.unstubAllGlobals());
    const now = new Date(2026, 10, 28, 9, 0).getTime(); // a Saturday, local time
    it('shows the time today, weekday and time within a week, a date beyond', () => {
      const today = new Date(2026, 10, 28, 15, 40);
      const tuesday = new Date(2026, 11, 1, 15, 40);
      const later = new Date(2027, 0, 20, 15, 40);
      const hm = { hour: '2-digit', minute: '2-digit' } as const;
      expect(formatClock(today.toISOString(), now, 'en-GB')).toBe(today.toLocaleTimeString('en-GB', hm));
      expect(formatClock(tuesday.toISOString(), now, 'en-GB')).toBe(
        `${tuesday.toLocaleDateString('en-GB', { weekday: 'short' })} ${tuesday.toLocaleTimeString('en-GB', hm)}`,
      );
      expect(formatClock(later.toISOString(), now, 'en-GB')).toBe(later.toLocaleDateString('en-GB', { month: 'short', day: 'numeric' }));
      expect(formatClock('garbage', now)).toBe('');
    });
    it('builds each formatter once, however many rows and ticks use it', () => {
      const Real = Intl.DateTimeFormat;
      let built = 0;
      class Counting extends Real {
        constructor(...args: ConstructorParameters<typeof Real>) {
          super(...args);
          built++;
        }
      }
      vi.stubGlobal('Intl', { ...Intl, DateTimeFormat: Counting });
      const at = new Date(2026, 10, 28, 16, 5).toISOString();
      for (let i = 0; i < 50; i++) formatClock(at, now + i * 15_000, 'de-DE');
      vi.unstubAllGlobals();
      expect(built).toBe(1);
    });
  });
});

describe('formatBytes', () => {
  it('uses the largest binary unit that fits', () => {
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5 GB');
    expect(formatBytes(315 * 2 ** 20)).toBe('315 MB');
    expect(formatBytes(2048)).toBe('2 KB');
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(NaN)).toBe('–');
  });
});
