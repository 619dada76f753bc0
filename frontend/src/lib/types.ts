// Shapes of what the Go backend returns. Kept by hand next to the wrapper so
// components depend on these, not on generated code.

export type Source = 'default' | 'file' | 'env';

export interface SettingField {
  key: string;
  type: 'bool' | 'int' | 'string';
  value: boolean | number | string;
  default: boolean | number | string;
  source: Source;
  env: string;
  min?: number;
  max?: number;
  choices?: string[];
  help: string;
}

export interface Paths {
  ConfigFile: string;
  DataDir: string;
  DBFile: string;
  LogDir: string;
  LogFile: string;
}

export type WindowMode = 'mini' | 'panel';

export interface AppState {
  version: string;
  mode: WindowMode;
  demo: boolean;
  paths: Paths;
  settings: SettingField[];
  accounts: unknown[];
}

/** One usage window as the endpoint reports it (utilization 0..100). */
export interface UsageWindow {
  utilization: number;
  resets_at: string | null;
}

export interface ExtraUsage {
  is_enabled: boolean;
  monthly_limit: number | null; // cents
  used_credits: number | null; // cents
  utilization: number | null;
  currency: string | null;
}

export interface AccountUsage {
  five_hour?: UsageWindow | null;
  seven_day?: UsageWindow | null;
  seven_day_opus?: UsageWindow | null;
  seven_day_sonnet?: UsageWindow | null;
  extra_usage?: ExtraUsage | null;
  fetched_at: string | null;
  /** When the binding window fills at the current pace, if it will before it resets. */
  predicted_exhausted_at?: string | null;
  /** Which window the prediction is about ("five_hour" | "seven_day"). */
  predicted_window?: string | null;
  /** Percentage points per hour on the 5-hour window; >0 rising. */
  burn_rate_5h?: number | null;
}

export interface Account {
  id: number;
  label: string;
  email: string;
  organization: string;
  subscription: string;
  active: boolean;
  needs_relogin: boolean;
  relogin_reason?: string;
  cooldown_until?: string | null;
  last_used_at?: string | null;
  stale?: boolean;
  usage: AccountUsage | null;
}

export interface PendingSwap {
  from: string;
  to: string;
  fires_at: string;
  reason: string;
}

/** The poller's status document, pushed on every change. */
export interface Status {
  accounts: Account[];
  /** Claude Code is logged in to an account aimonitor has not saved. */
  unsaved_login?: { email: string; organization: string } | null;
  pending_swap: PendingSwap | null;
  next_poll_at: string | null;
  last_error: string | null;
  /** Who polls: this window, the headless daemon, or nobody yet. */
  poller: 'widget' | 'daemon' | 'none';
  heartbeat: string | null;
}

export interface SwitchProgress {
  label: string;
  step: string; // human words: "refreshing the login", "writing Claude Code's credentials"…
  done: boolean;
  error?: string;
}

/** States of adding an account by capturing a new login (accounts.Capture* in Go). */
export type CaptureState = 'waiting' | 'checking' | 'found' | 'restoring' | 'done' | 'failed';

export interface AddProgress {
  label: string;
  state: CaptureState;
  message: string;
  email?: string;
  deadline?: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  from: string;
  to: string;
  trigger: 'manual' | 'auto' | 'external' | 'restore' | string;
  reason: string;
  ok: boolean;
  error?: string;
}

export interface UpdateInfo {
  current: string;
  latest: string;
  update_available: boolean;
  url?: string;
  published_at?: string;
  checked_at?: string;
  error?: string;
  enabled: boolean;
}

export interface TokenTotals {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cost_usd: number | null;
  messages: number;
  unpriced_models?: string[];
}

export interface TokenRow extends TokenTotals {
  date?: string;
  model?: string;
  project?: string;
  account?: string;
  models?: (TokenTotals & { model: string })[];
}

export interface TokensReport {
  by: 'day' | 'model' | 'project' | 'account';
  time_zone: string;
  totals: TokenTotals;
  rows: TokenRow[];
  pricing_date: string;
}

export interface TokensSummary {
  today: TokenTotals;
  block: { active: boolean; start: string; end: string; totals: TokenTotals };
  week: TokenTotals;
  week_start: string;
}

export interface HistoryPoint {
  ts: string;
  five_hour: number | null;
  seven_day: number | null;
}

export interface BackupResult {
  path: string;
  export?: { settings: number; accounts: number; logins: number; missing_logins?: string[] };
  import?: { settings: string[]; overridden?: string[]; accounts: { label: string; email: string; outcome?: string }[] };
}
