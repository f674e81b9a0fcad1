// The numbered migrations of the run-history schema (state_schema.cc).
#pragma once

#include <span>

#include "metadb/metadb.h"

namespace sluice::orchestrator {

std::span<const metadb::migration> schema_migrations();

}  // namespace sluice::orchestrator
