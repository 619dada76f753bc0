-- Key/value settings shared by every aimonitor process (the daemon's status
-- document lives here under key 'status'). Never a token.
CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL -- unix ms
) STRICT;
