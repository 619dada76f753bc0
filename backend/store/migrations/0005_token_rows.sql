-- Leaner token_messages rows (package backend/tokens): a response is
-- identified by the 64-bit hash of its dedupe key alone, which is the
-- table's rowid, so recording a response is one B-tree insert instead of a
-- row plus an index entry, and a row is about 60 bytes shorter. Why a hash
-- is enough is in docs/performance.md ("Leaner rows").
--
-- The rows are carried over as they are (transcripts may have been deleted
-- since, so they could not be read again). Should two stored responses
-- share a hash, the first stored is kept; token_usage, which the reports
-- read, already counts both and is left alone.
CREATE TABLE token_messages_new (
  h               INTEGER PRIMARY KEY, -- FNV-1a of the dedupe key
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
INSERT OR IGNORE INTO token_messages_new(h, ts, model_id, project_id, sidechain, class, input, output,
  cache_create, cache_create_1h, cache_read, cost_usd)
  SELECT h, ts, model_id, project_id, sidechain, class, input, output,
    cache_create, cache_create_1h, cache_read, cost_usd
  FROM token_messages ORDER BY h, id;
DROP TABLE token_messages;
ALTER TABLE token_messages_new RENAME TO token_messages;
