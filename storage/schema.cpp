#include "storage/schema.h"

#include <string>
#include <vector>

namespace reef::storage {

namespace {

// Append-only: a released migration is never edited; changes come as a new entry.
const std::vector<const char*> kMigrations = {
    // 1: the run index.
    R"sql(
CREATE TABLE experiments (
  id      INTEGER PRIMARY KEY,
  name    TEXT NOT NULL UNIQUE,
  created REAL NOT NULL
);
CREATE TABLE runs (
  id              INTEGER PRIMARY KEY,
  run_id          TEXT NOT NULL UNIQUE,   -- the run directory's name
  path            TEXT NOT NULL,          -- the run directory
  experiment_id   INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
  name            TEXT NOT NULL DEFAULT '',
  collection      TEXT NOT NULL DEFAULT '',
  arch            TEXT NOT NULL DEFAULT '',
  status          TEXT NOT NULL DEFAULT 'pending',  -- pending running completed failed cancelled
  backend         TEXT NOT NULL DEFAULT 'local',
  host            TEXT NOT NULL DEFAULT '',
  pid             INTEGER,
  job_id          TEXT NOT NULL DEFAULT '',
  created         REAL,
  started         REAL,
  finished        REAL,
  last_event      REAL,
  spec_hash       TEXT NOT NULL DEFAULT '',
  spec            TEXT NOT NULL DEFAULT '',       -- resolved spec, JSON
  seed            INTEGER,
  engine_version  TEXT NOT NULL DEFAULT '',
  world_size      INTEGER,
  total_steps     INTEGER,
  last_step       INTEGER,
  error           TEXT NOT NULL DEFAULT '',
  events_offset   INTEGER NOT NULL DEFAULT 0,     -- bytes of events.jsonl already ingested
  malformed_lines INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_status ON runs(status);
CREATE INDEX runs_started ON runs(started);
CREATE TABLE params (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key    TEXT NOT NULL,                  -- flattened spec key, e.g. optim.lr
  type   TEXT NOT NULL,                  -- int float bool string
  num    REAL,                           -- int, float and bool values
  text   TEXT,                           -- string values (and every value's text form)
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX params_key_num ON params(key, num);
CREATE INDEX params_key_text ON params(key, text);
CREATE TABLE tags (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  tag    TEXT NOT NULL,
  PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX tags_tag ON tags(tag);
CREATE TABLE notes (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  created REAL NOT NULL,
  text    TEXT NOT NULL
);
CREATE INDEX notes_run ON notes(run_id);
CREATE TABLE metric_keys (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
-- Points are stored in chunks of consecutive steps (steps, times and values packed as arrays),
-- so that ingesting and reading a million points costs a thousand rows, not a million.
CREATE TABLE metric_chunks (
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key_id     INTEGER NOT NULL REFERENCES metric_keys(id),
  first_step INTEGER NOT NULL,
  last_step  INTEGER NOT NULL,
  count      INTEGER NOT NULL,
  min        REAL,
  max        REAL,
  data       BLOB NOT NULL,
  PRIMARY KEY (run_id, key_id, first_step)
) WITHOUT ROWID;
-- Kept current on ingest, as Guild keeps its scalars summary.
CREATE TABLE metric_summary (
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key_id     INTEGER NOT NULL REFERENCES metric_keys(id),
  first      REAL,
  first_step INTEGER,
  last       REAL,
  last_step  INTEGER,
  min        REAL,
  max        REAL,
  count      INTEGER NOT NULL,
  best       REAL,
  best_step  INTEGER,
  PRIMARY KEY (run_id, key_id)
) WITHOUT ROWID;
CREATE INDEX metric_summary_key ON metric_summary(key_id);
CREATE TABLE checkpoints (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step    INTEGER NOT NULL,
  path    TEXT NOT NULL,
  monitor TEXT NOT NULL DEFAULT '',
  value   REAL,
  time    REAL,
  removed INTEGER NOT NULL DEFAULT 0,    -- deleted later by keep-top-k
  PRIMARY KEY (run_id, step)
) WITHOUT ROWID;
CREATE TABLE artifacts (
  id     INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  kind   TEXT NOT NULL,
  path   TEXT NOT NULL,
  time   REAL,
  UNIQUE (run_id, path)
);
CREATE TABLE run_logs (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  time    REAL,
  level   TEXT NOT NULL,
  rank    INTEGER,
  message TEXT NOT NULL
);
CREATE INDEX run_logs_run ON run_logs(run_id);
CREATE TABLE exports (
  id       INTEGER PRIMARY KEY,
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  format   TEXT NOT NULL,
  path     TEXT NOT NULL,
  created  REAL NOT NULL,
  verified TEXT NOT NULL DEFAULT ''      -- which foreign consumer accepted it, if any
);
CREATE TABLE deployments (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  pid     INTEGER,
  started REAL NOT NULL,
  stopped REAL,
  status  TEXT NOT NULL
);
-- Where runs can be launched. Never a password: keys and the ssh agent authenticate.
CREATE TABLE cluster_profiles (
  id               INTEGER PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE,
  backend          TEXT NOT NULL,        -- ssh | slurm
  host             TEXT NOT NULL,
  port             INTEGER NOT NULL DEFAULT 22,
  user             TEXT NOT NULL,
  key_path         TEXT NOT NULL DEFAULT '',
  remote_workspace TEXT NOT NULL DEFAULT '',
  partition        TEXT NOT NULL DEFAULT '',
  account          TEXT NOT NULL DEFAULT '',
  qos              TEXT NOT NULL DEFAULT '',
  time_limit       TEXT NOT NULL DEFAULT '',
  environment      TEXT NOT NULL DEFAULT '',
  reef_path        TEXT NOT NULL DEFAULT 'reef'
);
)sql",
    // 2: sweeps, from <workspace>/sweeps/<id>/ (storage/sweep_index.h).
    R"sql(
CREATE TABLE sweeps (
  id          INTEGER PRIMARY KEY,
  sweep_id    TEXT NOT NULL UNIQUE,   -- the sweep folder's name
  path        TEXT NOT NULL,
  name        TEXT NOT NULL DEFAULT '',
  method      TEXT NOT NULL DEFAULT '',  -- grid random quasirandom tpe
  metric      TEXT NOT NULL DEFAULT '',
  goal        TEXT NOT NULL DEFAULT 'minimize',
  status      TEXT NOT NULL DEFAULT 'running',  -- running completed stopped failed
  message     TEXT NOT NULL DEFAULT '',
  target      TEXT NOT NULL DEFAULT 'local',
  parallel    INTEGER,
  run_cap     INTEGER,
  started     REAL,
  ended       REAL,
  best_trial  INTEGER,                -- number of the best completed trial
  state_stamp TEXT NOT NULL DEFAULT ''  -- state.json's size and time when ingested
);
CREATE TABLE sweep_trials (
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
  number   INTEGER NOT NULL,
  run_id   TEXT NOT NULL DEFAULT '',  -- runs.run_id of its run ('' while pending)
  status   TEXT NOT NULL,             -- pending running stopping completed stopped failed lost cancelled
  value    REAL,                      -- the sweep metric at its last report
  steps    INTEGER NOT NULL DEFAULT 0,
  params   TEXT NOT NULL DEFAULT '{}',  -- the trial's settings, JSON
  error    TEXT NOT NULL DEFAULT '',
  started  REAL,
  ended    REAL,
  PRIMARY KEY (sweep_id, number)
) WITHOUT ROWID;
CREATE INDEX sweep_trials_run ON sweep_trials(run_id);
)sql",
    // 3: each session of a run, from its run_started and run_finished events: a run that a node
    // failure, a kill or a cancel interrupted shows where it stopped and where it went on. The
    // runs are ingested again so that the runs indexed before have their sessions too.
    R"sql(
CREATE TABLE run_sessions (
  run_id            INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  number            INTEGER NOT NULL,  -- 1, 2, ... in the order of the run's events
  started           REAL,
  resumed_from_step INTEGER,           -- null for a start from nothing
  host              TEXT NOT NULL DEFAULT '',
  finished          REAL,              -- null while it runs, or when it ended without run_finished
  status            TEXT NOT NULL DEFAULT 'running',
  step              INTEGER,           -- where it ended
  error             TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, number)
) WITHOUT ROWID;
-- Sessions come from events already ingested: every run is read again from its first byte.
DELETE FROM metric_chunks;
DELETE FROM metric_summary;
DELETE FROM checkpoints;
DELETE FROM artifacts;
DELETE FROM run_logs;
UPDATE runs SET events_offset = 0, malformed_lines = 0;
)sql",
};

}  // namespace

int currentSchemaVersion() { return static_cast<int>(kMigrations.size()); }

void migrate(Database& db) {
  auto versionOf = [&] {
    auto s = db.prepare("PRAGMA user_version");
    s.step();
    return static_cast<int>(s.int64(0));
  };
  const int version = versionOf();
  if (version > currentSchemaVersion())
    throw std::runtime_error("database '" + db.path().string() + "' has schema version " + std::to_string(version) +
                             ", newer than this Reef understands (" + std::to_string(currentSchemaVersion()) +
                             "): use a newer Reef, or `reef db rebuild` to recreate it from the run directories");
  for (int v = version; v < currentSchemaVersion(); ++v) {
    Transaction t(db);
    // Two processes may open a new index at once (the studio beside `reef runs`): the version is
    // read again under the write lock, and a step another process made is not made twice.
    if (versionOf() > v) continue;
    db.exec(kMigrations[static_cast<size_t>(v)]);
    db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    t.commit();
  }
}

}  // namespace reef::storage
