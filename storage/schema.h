#pragma once
#include "storage/sqlite.h"

namespace reef::storage {

// The schema version this build writes (PRAGMA user_version).
int currentSchemaVersion();
// Brings the database up to currentSchemaVersion(), one migration per transaction. A database
// from a newer Reef is refused rather than damaged.
void migrate(Database& db);

}  // namespace reef::storage
