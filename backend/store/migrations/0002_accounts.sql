-- Accounts aimonitor knows. keyring_ref names the keyring item (service
-- "aimonitor-<account uuid>") that holds the login; the token itself is never here.
CREATE TABLE accounts (
  id             INTEGER PRIMARY KEY,
  label          TEXT NOT NULL COLLATE NOCASE UNIQUE,
  account_uuid   TEXT NOT NULL,
  email          TEXT NOT NULL,
  display_name   TEXT NOT NULL DEFAULT '',
  org_uuid       TEXT NOT NULL DEFAULT '',
  org_name       TEXT NOT NULL DEFAULT '',
  org_type       TEXT NOT NULL DEFAULT '',
  subscription   TEXT NOT NULL DEFAULT '',
  rate_tier      TEXT NOT NULL DEFAULT '',
  keyring_ref    TEXT NOT NULL UNIQUE,
  created_at     INTEGER NOT NULL,           -- unix ms
  last_used_at   INTEGER,                    -- unix ms: last time it became active
  needs_relogin  INTEGER NOT NULL DEFAULT 0,
  relogin_reason TEXT NOT NULL DEFAULT '',
  cooldown_until INTEGER,                    -- unix ms: the usage endpoint asked us to wait
  UNIQUE (email, org_uuid)
) STRICT;

-- Every switch, manual or automatic, with its reason. Labels are copied so
-- the history survives removing an account.
CREATE TABLE switch_log (
  id         INTEGER PRIMARY KEY,
  ts         INTEGER NOT NULL,               -- unix ms
  from_id    INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
  to_id      INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
  from_label TEXT NOT NULL DEFAULT '',
  to_label   TEXT NOT NULL DEFAULT '',
  trigger    TEXT NOT NULL,                  -- manual | auto | external | restore
  reason     TEXT NOT NULL DEFAULT '',
  ok         INTEGER NOT NULL,
  error      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX switch_log_ts ON switch_log(ts);
