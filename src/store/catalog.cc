#include "store/catalog.h"

#include "store/literals.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sluice::store {
namespace {

using json = nlohmann::json;

// Catalog entries live under table id 0.
const std::string catalog_prefix("\0\0\0\0", 4);
const std::string keyspace_prefix = catalog_prefix + "k";
const std::string table_prefix = catalog_prefix + "t";
const std::string next_id_key = catalog_prefix + "n";

std::string table_key(std::string_view keyspace, std::string_view name) {
  std::string k(keyspace);
  k.push_back('\0');
  k.append(name);
  return k;
}

// Every row of table `id`: its keys start with the id, big-endian.
kv_change rows_of(uint32_t id) {
  auto be = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  return kv_change::erase_range(be(id), be(id + 1));
}

std::unexpected<error> invalid(std::string message) {
  return make_error(errc::invalid, std::move(message));
}

std::string keyspace_json(const keyspace_schema& k) {
  return json{
      {"name", k.name}, {"replication", k.replication}, {"durable_writes", k.durable_writes}}
      .dump();
}

std::string table_json(const table_schema& t) {
  json cols = json::array();
  for (const column& c : t.columns) {
    cols.push_back({{"name", c.name},
                    {"type", c.type.name()},
                    {"kind", static_cast<int>(c.kind)},
                    {"position", c.position},
                    {"descending", c.descending}});
  }
  return json{
      {"keyspace", t.keyspace}, {"name", t.name}, {"id", t.id}, {"uuid", t.uuid}, {"columns", cols}}
      .dump();
}

result<keyspace_schema> keyspace_from(const std::string& text) {
  try {
    const json j = json::parse(text);
    keyspace_schema k;
    k.name = j.at("name").get<std::string>();
    k.replication = j.at("replication").get<std::vector<std::pair<std::string, std::string>>>();
    k.durable_writes = j.at("durable_writes").get<bool>();
    return k;
  } catch (const json::exception& e) {
    return make_error(errc::storage, fmt::format("unreadable keyspace entry: {}", e.what()));
  }
}

result<table_schema> table_from_json(const std::string& text) {
  try {
    const json j = json::parse(text);
    table_schema t;
    t.keyspace = j.at("keyspace").get<std::string>();
    t.name = j.at("name").get<std::string>();
    t.id = j.at("id").get<uint32_t>();
    t.uuid = j.at("uuid").get<std::array<uint8_t, 16>>();
    for (const json& c : j.at("columns")) {
      column col;
      col.name = c.at("name").get<std::string>();
      auto type = cql::data_type::parse(c.at("type").get<std::string>());
      if (!type) return make_error(errc::storage, type.error().message);
      col.type = *type;
      col.kind = static_cast<column_kind>(c.at("kind").get<int>());
      col.position = c.at("position").get<int>();
      col.descending = c.at("descending").get<bool>();
      t.columns.push_back(std::move(col));
    }
    return t;
  } catch (const json::exception& e) {
    return make_error(errc::storage, fmt::format("unreadable table entry: {}", e.what()));
  }
}

}  // namespace

bool catalog::is_system_keyspace(std::string_view name) {
  return name == "system" || name == "system_schema" || name == "system_auth" ||
         name == "system_distributed" || name == "system_traces" ||
         name == "system_virtual_schema" || name == "system_views";
}

result<catalog> catalog::open(kv_store& kv) {
  catalog c(kv);
  for (const auto& [key, value] : SLUICE_TRY(kv.scan(keyspace_prefix))) {
    keyspace_schema k = SLUICE_TRY(keyspace_from(value));
    std::string name = k.name;
    c.keyspaces_.emplace(std::move(name), std::move(k));
  }
  // Ids are never reused, even those of dropped tables: their rows may not be deleted yet.
  for (const auto& [key, value] : SLUICE_TRY(kv.scan(next_id_key))) {
    try {
      c.next_table_id_ =
          std::max<uint32_t>(c.next_table_id_, static_cast<uint32_t>(std::stoul(value)));
    } catch (const std::exception&) {
      return make_error(errc::storage, fmt::format("unreadable next table id '{}'", value));
    }
  }
  for (const auto& [key, value] : SLUICE_TRY(kv.scan(table_prefix))) {
    table_schema t = SLUICE_TRY(table_from_json(value));
    c.next_table_id_ = std::max(c.next_table_id_, t.id + 1);
    std::string k = table_key(t.keyspace, t.name);
    c.tables_.emplace(std::move(k), std::move(t));
  }
  return c;
}

result<bool> catalog::create_keyspace(const parser::create_keyspace& ddl) {
  if (is_system_keyspace(ddl.name)) {
    return invalid(fmt::format("{} keyspace is not user-modifiable", ddl.name));
  }
  if (keyspaces_.contains(ddl.name)) {
    if (ddl.if_not_exists) return false;
    return make_error(errc::already_exists,
                      fmt::format("Cannot add already existing keyspace \"{}\"", ddl.name));
  }
  keyspace_schema k{ddl.name, ddl.replication, ddl.durable_writes};
  const std::vector<kv_change> batch{kv_change::put(keyspace_prefix + k.name, keyspace_json(k))};
  SLUICE_TRY(kv_->write(batch));
  keyspaces_.emplace(k.name, std::move(k));
  ++version_;
  return true;
}

result<std::optional<std::vector<table_schema>>> catalog::drop_keyspace(std::string_view name,
                                                                        bool if_exists) {
  if (is_system_keyspace(name)) {
    return invalid(fmt::format("{} keyspace is not user-modifiable", name));
  }
  auto it = keyspaces_.find(name);
  if (it == keyspaces_.end()) {
    if (if_exists) return std::optional<std::vector<table_schema>>{};
    return invalid(fmt::format("Cannot drop non existing keyspace '{}'.", name));
  }
  std::vector<kv_change> batch{kv_change::erase(keyspace_prefix + std::string(name))};
  std::vector<table_schema> dropped;
  for (const table_schema* t : tables(name)) {
    batch.push_back(kv_change::erase(table_prefix + table_key(t->keyspace, t->name)));
    batch.push_back(rows_of(t->id));
    dropped.push_back(*t);
  }
  SLUICE_TRY(kv_->write(batch));
  for (const auto& t : dropped) tables_.erase(table_key(t.keyspace, t.name));
  keyspaces_.erase(it);
  ++version_;
  return std::optional(std::move(dropped));
}

result<void> catalog::save_table(const table_schema& t, std::vector<kv_change>& batch) const {
  batch.push_back(kv_change::put(table_prefix + table_key(t.keyspace, t.name), table_json(t)));
  return {};
}

result<bool> catalog::create_table(table_schema t, bool if_not_exists) {
  if (is_system_keyspace(t.keyspace)) {
    return invalid(fmt::format("{} keyspace is not user-modifiable", t.keyspace));
  }
  if (!keyspaces_.contains(t.keyspace)) {
    return invalid(fmt::format("Keyspace {} does not exist", t.keyspace));
  }
  if (tables_.contains(table_key(t.keyspace, t.name))) {
    if (if_not_exists) return false;
    return make_error(errc::already_exists,
                      fmt::format("Cannot add already existing table \"{}\" to keyspace \"{}\"",
                                  t.name, t.keyspace));
  }
  t.id = next_table_id_;
  const auto uuid = new_uuid(false);
  std::copy(uuid.begin(), uuid.end(), t.uuid.begin());
  std::vector<kv_change> batch{kv_change::put(next_id_key, std::to_string(t.id + 1))};
  SLUICE_TRY(save_table(t, batch));
  SLUICE_TRY(kv_->write(batch));
  ++next_table_id_;
  tables_.emplace(table_key(t.keyspace, t.name), std::move(t));
  ++version_;
  return true;
}

result<std::optional<table_schema>> catalog::drop_table(std::string_view keyspace,
                                                        std::string_view name, bool if_exists) {
  auto it = tables_.find(table_key(keyspace, name));
  if (it == tables_.end()) {
    if (if_exists) return std::optional<table_schema>{};
    return invalid(fmt::format("Table '{}.{}' doesn't exist", keyspace, name));
  }
  const std::vector<kv_change> batch{kv_change::erase(table_prefix + it->first),
                                     rows_of(it->second.id)};
  SLUICE_TRY(kv_->write(batch));
  table_schema dropped = std::move(it->second);
  tables_.erase(it);
  ++version_;
  return std::optional(std::move(dropped));
}

result<const table_schema*> catalog::add_columns(std::string_view keyspace, std::string_view name,
                                                 std::vector<column> columns) {
  auto it = tables_.find(table_key(keyspace, name));
  if (it == tables_.end()) {
    return invalid(fmt::format("Table '{}.{}' doesn't exist", keyspace, name));
  }
  table_schema changed = it->second;
  for (auto& c : columns) changed.columns.push_back(std::move(c));
  std::vector<kv_change> batch;
  SLUICE_TRY(save_table(changed, batch));
  SLUICE_TRY(kv_->write(batch));
  it->second = std::move(changed);
  ++version_;
  return &it->second;
}

const keyspace_schema* catalog::keyspace(std::string_view name) const {
  auto it = keyspaces_.find(name);
  return it == keyspaces_.end() ? nullptr : &it->second;
}

const table_schema* catalog::table(std::string_view keyspace, std::string_view name) const {
  auto it = tables_.find(table_key(keyspace, name));
  return it == tables_.end() ? nullptr : &it->second;
}

std::vector<const keyspace_schema*> catalog::keyspaces() const {
  std::vector<const keyspace_schema*> out;
  for (const auto& [name, k] : keyspaces_) out.push_back(&k);
  return out;
}

std::vector<const table_schema*> catalog::tables(std::string_view keyspace) const {
  std::vector<const table_schema*> out;
  for (const auto& [key, t] : tables_) {
    if (t.keyspace == keyspace) out.push_back(&t);
  }
  return out;
}

}  // namespace sluice::store
