// Human labels and grouping for the settings pane. Keys come from the Go
// config package; a key missing here still shows, under its own name.
import type { SettingField } from './contract.gen';

export const sectionTitles: Record<string, string> = {
  auto_swap: 'Auto-swap',
  notify: 'Notifications',
  daily_summary: 'Daily summary',
  auto_update: 'Updates',
  widget: 'Widget',
  autostart: 'Start at login',
  poll: 'Usage checks',
  log: 'Logging',
  keyring: 'Saved logins',
  statusline: "Claude Code's status line",
};

// Keys the pane does not show: statusline.replaced is bookkeeping of
// `statusline --install --force`, not a choice.
export const hiddenKeys = new Set(['statusline.replaced']);

export const labels: Record<string, string> = {
  'auto_swap.enabled': 'Swap automatically',
  'auto_swap.threshold_pct': '5-hour threshold (%)',
  'auto_swap.threshold_7d_pct': '7-day threshold (%)',
  'auto_swap.grace_sec': 'Grace before swapping (s)',
  'notify.enabled': 'Desktop notifications',
  'notify.warn_pct': 'Warn at (%)',
  'notify.crit_pct': 'Critical at (%)',
  'daily_summary.enabled': 'Send a daily summary',
  'daily_summary.hour': 'Hour of the summary',
  'auto_update.enabled': 'Check for new releases',
  autostart: 'Start aimonitor at login',
  autostart_run: 'What starts',
  'widget.always_on_top': 'Keep the widget on top',
  'widget.theme': 'Theme',
  'poll.interval_sec': 'Longest gap between checks (s)',
  'log.level': 'Log level',
  'log.file': 'Write a log file',
  'keyring.backend': 'Where logins are kept',
  'keyring.unlock_timeout_min': 'File keyring stays unlocked (min)',
  'statusline.format': 'Format',
  'statusline.color': 'Colours',
};

export function sectionOf(key: string): string {
  if (key.startsWith('autostart')) return 'autostart';
  const i = key.indexOf('.');
  return i > 0 ? key.slice(0, i) : key;
}

export interface Section {
  id: string;
  title: string;
  fields: SettingField[];
}

export function groupSettings(fields: SettingField[]): Section[] {
  const out: Section[] = [];
  for (const f of fields) {
    if (hiddenKeys.has(f.key)) continue;
    const id = sectionOf(f.key);
    let s = out.find((x) => x.id === id);
    if (!s) {
      s = { id, title: sectionTitles[id] ?? id, fields: [] };
      out.push(s);
    }
    s.fields.push(f);
  }
  return out;
}

export function labelOf(key: string): string {
  return labels[key] ?? key;
}
