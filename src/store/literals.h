// CQL literals into values: a parsed term, typed by the column it is for, into the native
// protocol's serialization of that type (the form bound values arrive in and the store keeps).
// Range checks and messages follow Cassandra ("Invalid INTEGER constant (3.5) for "a" of type
// int"). Sets are sorted and deduplicated and map keys sorted, in the type's own order, as
// Cassandra stores them. Also the functions a literal position allows: now() and uuid().
// Thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cql/types.h"
#include "parser/ast.h"

namespace sluice::store {

// `column` names the target in messages. Bind markers are the caller's: they are refused here.
result<std::vector<uint8_t>> literal_value(const parser::term& t, const cql::data_type& type,
                                           std::string_view column);

// A bound (already valid) set or map value in the order Cassandra keeps it: sorted by key in the
// type's order, without duplicates (a later map entry wins). Other values are returned as is.
std::vector<uint8_t> normalize_collection(const cql::data_type& type, bytes_view value);

// A fresh UUID: version 1 (time-based, as now() gives) or version 4 (random, as uuid() gives).
std::vector<uint8_t> new_uuid(bool time_based);

}  // namespace sluice::store
