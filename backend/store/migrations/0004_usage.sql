-- Usage history and polling state (package backend/usage) and the auto-swap
-- audit (package backend/daemon). Never a token.

-- One row per answer of the usage endpoint, kept for a rolling window (the
-- poller prunes rows older than 35 days). The primary key doubles as the
-- (account, ts) index that the "latest sample per account" skip-scan walks.
CREATE TABLE usage_samples (
  account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  ts               INTEGER NOT NULL,  -- unix ms, when the answer arrived
  five_hour        REAL,              -- utilization %, NULL when the endpoint sent none
  five_hour_resets INTEGER,           -- unix ms, NULL when unknown
  seven_day        REAL,
  seven_day_resets INTEGER,
  data             TEXT NOT NULL,     -- the whole answer, decoded and re-encoded as JSON
  PRIMARY KEY (account_id, ts)
) STRICT, WITHOUT ROWID;

-- When each account's usage may be asked for next, shared by every process
-- so a CLI refresh obeys a Retry-After the daemon received. A 429 is also
-- copied to accounts.cooldown_until, where the rest of the app reads it.
CREATE TABLE usage_poll (
  account_id   INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  not_before   INTEGER NOT NULL DEFAULT 0,   -- unix ms: no request before this
  failures     INTEGER NOT NULL DEFAULT 0,   -- consecutive failures (backoff exponent)
  last_attempt INTEGER,                      -- unix ms
  last_error   TEXT NOT NULL DEFAULT '',     -- words for the user, never a token
  error_kind   TEXT NOT NULL DEFAULT ''      -- throttled | server | network | relogin | ...
) STRICT;

-- Every auto-swap decision with its reason (the switches themselves also go
-- to switch_log with trigger 'auto').
CREATE TABLE autoswap_log (
  id         INTEGER PRIMARY KEY,
  ts         INTEGER NOT NULL,               -- unix ms
  action     TEXT NOT NULL,                  -- armed | fired | cancelled | no_candidate | failed | ...
  from_id    INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
  to_id      INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
  from_label TEXT NOT NULL DEFAULT '',
  to_label   TEXT NOT NULL DEFAULT '',
  reason     TEXT NOT NULL
) STRICT;
CREATE INDEX autoswap_log_ts ON autoswap_log(ts);
