#include "store/schema.h"

#include <algorithm>

#include <fmt/format.h>

namespace sluice::store {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::invalid: return "invalid request";
    case errc::already_exists: return "already exists";
    case errc::storage: return "storage error";
  }
  return "unknown";
}
std::string_view category_name(errc) { return "store"; }

std::string_view kind_name(column_kind k) {
  switch (k) {
    case column_kind::partition_key: return "partition_key";
    case column_kind::clustering: return "clustering";
    case column_kind::regular: return "regular";
    case column_kind::static_: return "static";
  }
  return "regular";
}

namespace {

std::unexpected<error> invalid(std::string message) {
  return make_error(errc::invalid, std::move(message));
}

result<cql::data_type> column_type(const std::string& column, const std::string& text) {
  auto t = cql::data_type::parse(text);
  if (!t) return invalid(fmt::format("column {}: {}", column, t.error().message));
  if (t->id == cql::type_id::counter) {
    return invalid(fmt::format("column {}: counter columns are not supported", column));
  }
  return *t;
}

}  // namespace

const column* table_schema::find(std::string_view name) const {
  for (const column& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<const column*> table_schema::partition_key() const {
  std::vector<const column*> out;
  for (const column& c : columns) {
    if (c.kind == column_kind::partition_key) out.push_back(&c);
  }
  std::ranges::sort(out, {}, &column::position);
  return out;
}

std::vector<const column*> table_schema::clustering() const {
  std::vector<const column*> out;
  for (const column& c : columns) {
    if (c.kind == column_kind::clustering) out.push_back(&c);
  }
  std::ranges::sort(out, {}, &column::position);
  return out;
}

result<std::string> resolve_keyspace(std::string_view named, std::string_view current) {
  if (!named.empty()) return std::string(named);
  if (!current.empty()) return std::string(current);
  return invalid(
      "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename");
}

result<table_schema> table_from(const parser::create_table& ddl, std::string_view current) {
  table_schema t;
  t.keyspace = SLUICE_TRY(resolve_keyspace(ddl.table.keyspace, current));
  t.name = ddl.table.name;
  for (const auto& def : ddl.columns) {
    if (t.find(def.name) != nullptr) {
      return invalid(fmt::format("Multiple definition of identifier {}", def.name));
    }
    column c;
    c.name = def.name;
    c.type = SLUICE_TRY(column_type(def.name, def.type));
    c.kind = def.is_static ? column_kind::static_ : column_kind::regular;
    t.columns.push_back(std::move(c));
  }
  auto key_column = [&](const std::string& name, column_kind kind, int position) -> result<void> {
    auto it = std::ranges::find(t.columns, name, &column::name);
    if (it == t.columns.end()) {
      return invalid(fmt::format("Unknown definition {} referenced in PRIMARY KEY", name));
    }
    if (it->kind == column_kind::partition_key || it->kind == column_kind::clustering) {
      return invalid(fmt::format("Duplicate definition {} in PRIMARY KEY", name));
    }
    if (it->kind == column_kind::static_) {
      return invalid(fmt::format("Static column {} cannot be part of the PRIMARY KEY", name));
    }
    if (it->type.is_collection()) {
      return invalid(fmt::format("Invalid collection type for PRIMARY KEY component {}", name));
    }
    it->kind = kind;
    it->position = position;
    return {};
  };
  for (size_t i = 0; i < ddl.partition_key.size(); ++i) {
    SLUICE_TRY(key_column(ddl.partition_key[i], column_kind::partition_key, static_cast<int>(i)));
  }
  for (size_t i = 0; i < ddl.clustering.size(); ++i) {
    SLUICE_TRY(key_column(ddl.clustering[i], column_kind::clustering, static_cast<int>(i)));
  }
  if (ddl.clustering.empty() && std::ranges::any_of(t.columns, [](const column& c) {
        return c.kind == column_kind::static_;
      })) {
    return invalid(
        "Static columns are only useful (and thus allowed) if the table has at least one "
        "clustering column");
  }
  if (!ddl.clustering_order.empty()) {
    if (ddl.clustering_order.size() > ddl.clustering.size()) {
      return invalid("Only clustering key columns can be defined in CLUSTERING ORDER directive");
    }
    for (size_t i = 0; i < ddl.clustering_order.size(); ++i) {
      const auto& [name, desc] = ddl.clustering_order[i];
      if (name != ddl.clustering[i]) {
        return invalid(fmt::format(
            "The order of columns in the CLUSTERING ORDER directive must match that of the "
            "clustering columns ({} instead of {})",
            name, ddl.clustering[i]));
      }
      std::ranges::find(t.columns, name, &column::name)->descending = desc;
    }
  }
  return t;
}

result<std::vector<column>> columns_to_add(const table_schema& table,
                                           const parser::alter_table_add& ddl) {
  std::vector<column> out;
  for (const auto& def : ddl.columns) {
    if (table.find(def.name) != nullptr ||
        std::ranges::find(out, def.name, &column::name) != out.end()) {
      return invalid(fmt::format(
          "Invalid column name {} because it conflicts with an existing column", def.name));
    }
    column c;
    c.name = def.name;
    c.type = SLUICE_TRY(column_type(def.name, def.type));
    c.kind = def.is_static ? column_kind::static_ : column_kind::regular;
    if (c.kind == column_kind::static_ && table.clustering().empty()) {
      return invalid(fmt::format("Static column {} needs a table with clustering columns", c.name));
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace sluice::store
