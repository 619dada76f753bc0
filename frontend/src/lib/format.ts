// Formatting shared by every view: durations ("1 h 12 m"), clock times and
// percentages. Pure functions, so they are tested without a DOM.

/** "45 s", "12 m", "1 h 12 m", "3 d 4 h"; negative or zero → "now". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return 'now';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} m` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** Parses an ISO time; null, empty or invalid → null (never "Invalid date"). */
export function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "resets in 1 h 12 m", or "" when the reset time is unknown. */
export function resetsIn(iso: string | null | undefined, now: number): string {
  const d = parseTime(iso);
  if (!d) return '';
  const ms = d.getTime() - now;
  return ms <= 0 ? 'resetting now' : `resets in ${formatDuration(ms)}`;
}

// Building an Intl formatter loads ICU data and costs far more than using
// one, and the widget formats a clock per row on every tick: keep one per
// (locale, options) for the life of the page.
const formatters = new Map<string, Intl.DateTimeFormat>();
function dateFormat(locale: string | undefined, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(opts)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, opts);
    formatters.set(key, f);
  }
  return f;
}

/** "15:40" today, "Tue 15:40" within a week, else a short date. */
export function formatClock(iso: string | null | undefined, now: number, locale?: string): string {
  const d = parseTime(iso);
  if (!d) return '';
  const time = dateFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(d);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  if (sameDay) return time;
  if (Math.abs(d.getTime() - now) < 6 * 86400_000) {
    return `${dateFormat(locale, { weekday: 'short' }).format(d)} ${time}`;
  }
  return dateFormat(locale, { month: 'short', day: 'numeric' }).format(d);
}

/** 81.46 → "81 %"; values are clamped to 0..100 and never NaN. */
export function formatPct(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '–';
  return `${Math.round(Math.min(100, Math.max(0, v)))} %`;
}

export type Level = 'ok' | 'warn' | 'crit';

export function levelOf(pct: number | null | undefined, warn: number, crit: number): Level {
  if (pct == null || !Number.isFinite(pct)) return 'ok';
  if (pct >= crit) return 'crit';
  if (pct >= warn) return 'warn';
  return 'ok';
}

/** "$12.34" from cents. */
export function formatCents(cents: number | null | undefined, currency = 'USD', locale?: string): string {
  if (cents == null || !Number.isFinite(cents)) return '–';
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** 1234567 → "1.2 M" */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(1)} B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(Math.round(n));
}

/** 1610612736 → "1.5 GB" (binary units, as file sizes are shown) */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GB`;
  if (n >= 1 << 20) return `${Math.round(n / (1 << 20))} MB`;
  if (n >= 1 << 10) return `${Math.round(n / (1 << 10))} KB`;
  return `${n} B`;
}
