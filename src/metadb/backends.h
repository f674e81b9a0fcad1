// Internal to metadb: the two backends behind open(), and helpers they share.
//
// open_sqlite takes the URL's part after "sqlite://", open_postgresql the whole URL.
// Thread-safety: free functions without shared state.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "metadb/metadb.h"

namespace sluice::metadb::detail {

result<std::unique_ptr<connection>> open_sqlite(std::string_view location);
result<std::unique_ptr<connection>> open_postgresql(std::string_view url);

// The URL with the password of its user info and any password=... parameter replaced by "***".
std::string mask_password(std::string_view url);

// The statement's start, on one line, for error messages: "INSERT INTO jobs (id, ...".
std::string statement_excerpt(std::string_view sql);

}  // namespace sluice::metadb::detail
