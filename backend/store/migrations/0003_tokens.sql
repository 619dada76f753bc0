-- Local token accounting from Claude Code transcripts (package backend/tokens).

-- A project is a directory under <config dir>/projects; path is the working
-- directory its transcripts record (or, failing that, the decoded dir name).
CREATE TABLE token_projects (
  id   INTEGER PRIMARY KEY,
  dir  TEXT NOT NULL UNIQUE,
  path TEXT NOT NULL
) STRICT;

CREATE TABLE token_models (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE            -- '' for responses that name no model
) STRICT;

-- One row per transcript file: how far it has been read, and what it looked
-- like then, so a re-scan reads only new bytes and notices truncation or
-- replacement. Every index costs B-tree page splits on the first, bulk
-- scan; these tables are read whole instead.
CREATE TABLE token_files (
  id         INTEGER PRIMARY KEY,
  path       TEXT NOT NULL,            -- unique; looked up in memory, so not indexed
  project_id INTEGER NOT NULL REFERENCES token_projects(id),
  size       INTEGER NOT NULL,         -- bytes when last read
  mtime_ns   INTEGER NOT NULL,
  inode      INTEGER NOT NULL,
  consumed   INTEGER NOT NULL,         -- bytes up to the end of the last complete line
  tail_hash  INTEGER NOT NULL          -- FNV-1a of the bytes just before consumed
) STRICT;

-- One row per API response, counted once. key is the response's dedupe key
-- (message id + request id) and h a 64-bit hash of it, indexed for lookups;
-- rows are appended in arrival order, which keeps inserts cheap. The usage
-- kept is the best copy seen (see backend/tokens). class is the prompt size
-- class the cost depends on: 0 <= 100k tokens, 1 <= 200k, 2 above, 3 a
-- recorded costUSD.
CREATE TABLE token_messages (
  id              INTEGER PRIMARY KEY,
  h               INTEGER NOT NULL,
  key             TEXT NOT NULL,
  ts              INTEGER NOT NULL,    -- unix ms
  model_id        INTEGER NOT NULL REFERENCES token_models(id),
  project_id      INTEGER NOT NULL REFERENCES token_projects(id),
  sidechain       INTEGER NOT NULL,
  class           INTEGER NOT NULL,
  input           INTEGER NOT NULL,
  output          INTEGER NOT NULL,
  cache_create    INTEGER NOT NULL,
  cache_create_1h INTEGER NOT NULL,
  cache_read      INTEGER NOT NULL,
  cost_usd        REAL                 -- the transcript's own costUSD, if it had one
) STRICT;
CREATE INDEX token_messages_h ON token_messages(h);

-- token_messages summed per quarter hour (every time zone's offset is a
-- multiple of 15 minutes, so local days are unions of these buckets), model,
-- project and class. Reports read this; it is kept in step with
-- token_messages in the same transactions.
CREATE TABLE token_usage (
  bucket          INTEGER NOT NULL,    -- unix ms / 900000
  model_id        INTEGER NOT NULL,
  project_id      INTEGER NOT NULL,
  class           INTEGER NOT NULL,
  messages        INTEGER NOT NULL,
  input           INTEGER NOT NULL,
  output          INTEGER NOT NULL,
  cache_create    INTEGER NOT NULL,
  cache_create_1h INTEGER NOT NULL,
  cache_read      INTEGER NOT NULL,
  cost_usd        REAL NOT NULL,       -- sum of recorded costUSD (class 3 only)
  PRIMARY KEY (bucket, model_id, project_id, class)
) STRICT, WITHOUT ROWID;

-- generation counts changes to the ledger: every transaction that records
-- usage bumps it, which invalidates token_report_cache.
CREATE TABLE token_state (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL
) STRICT;
INSERT INTO token_state(id, generation) VALUES (1, 0);

-- Reports already computed (JSON), valid while their generation is the
-- ledger's: a run with nothing new to read answers from here.
CREATE TABLE token_report_cache (
  key        TEXT PRIMARY KEY,
  generation INTEGER NOT NULL,
  report     BLOB NOT NULL
) STRICT;
