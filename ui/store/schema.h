#pragma once
// Inside atelier_store: the tables, and how each older schema becomes the next one.

#include "core/result.h"

namespace atelier::store {

class Database;

// PRAGMA application_id of every Atelier database: "ATLR". A file with another mark is another
// program's and is never touched.
constexpr int kApplicationId = 0x41544C52;

// An error when `version` (a file's PRAGMA user_version) is newer than this build knows.
Status checkSchemaVersion(const Database& db, int version);

// Brings a file that open() has checked from its PRAGMA user_version up to
// Database::kSchemaVersion, one transaction per step, and marks it with kApplicationId.
Status migrate(Database& db);

} // namespace atelier::store
