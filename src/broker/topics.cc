#include "broker/topics.h"

#include "base/file.h"

#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sluice::broker {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::invalid_topic: return "invalid topic";
    case errc::invalid_partitions: return "invalid partitions";
    case errc::topic_exists: return "topic exists";
    case errc::unknown_topic: return "unknown topic";
    case errc::storage: return "storage error";
  }
  return "unknown error";
}
std::string_view category_name(errc) { return "broker"; }

result<void> validate_topic_name(std::string_view name) {
  if (name.empty()) return make_error(errc::invalid_topic, "topic name is empty");
  if (name == "." || name == "..") {
    return make_error(errc::invalid_topic, fmt::format("topic name '{}' is not allowed", name));
  }
  if (name.size() > 249) {
    return make_error(errc::invalid_topic,
                      fmt::format("topic name of {} characters is longer than 249", name.size()));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return make_error(
          errc::invalid_topic,
          fmt::format("topic name '{}' has a character outside [a-zA-Z0-9._-]", name));
    }
  }
  return {};
}

result<topic_table> topic_table::open(std::filesystem::path dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(errc::storage, fmt::format("create {}: {}", dir.string(), ec.message()));
  topic_table t(dir / "topics.json");
  std::ifstream in(t.file_);
  if (!in) return t;  // first start
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc["topics"].is_array()) {
    return make_error(errc::storage, fmt::format("{}: not a sluice topic file", t.file_.string()));
  }
  for (const auto& e : doc["topics"]) {
    if (!e.is_object() || !e["name"].is_string() || !e["partitions"].is_number_integer()) {
      return make_error(errc::storage, fmt::format("{}: malformed topic entry", t.file_.string()));
    }
    topic_info info{e["name"].get<std::string>(), e["partitions"].get<int32_t>()};
    t.topics_.emplace(info.name, info);
  }
  return t;
}

const topic_info* topic_table::find(std::string_view name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second;
}

std::vector<const topic_info*> topic_table::all() const {
  std::vector<const topic_info*> out;
  out.reserve(topics_.size());
  for (const auto& [_, t] : topics_) out.push_back(&t);
  return out;
}

result<const topic_info*> topic_table::create(std::string name, int32_t partitions) {
  SLUICE_TRY(validate_topic_name(name));
  if (partitions < 1 || partitions > 10'000) {
    return make_error(errc::invalid_partitions,
                      fmt::format("{} partitions: a topic has 1 to 10000", partitions));
  }
  if (topics_.contains(name)) {
    return make_error(errc::topic_exists, fmt::format("topic '{}' already exists", name));
  }
  auto [it, _] = topics_.emplace(name, topic_info{name, partitions});
  if (auto saved = save(); !saved) {
    topics_.erase(it);
    return std::unexpected(std::move(saved).error());
  }
  return &it->second;
}

result<void> topic_table::remove(std::string_view name) {
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    return make_error(errc::unknown_topic, fmt::format("topic '{}' does not exist", name));
  }
  topic_info removed = it->second;
  topics_.erase(it);
  if (auto saved = save(); !saved) {
    topics_.emplace(removed.name, removed);
    return std::unexpected(std::move(saved).error());
  }
  return {};
}

result<void> topic_table::save() const {
  nlohmann::json doc;
  doc["version"] = 1;
  doc["topics"] = nlohmann::json::array();
  for (const auto& [_, t] : topics_) {
    doc["topics"].push_back({{"name", t.name}, {"partitions", t.partitions}});
  }
  auto r = write_file_atomically(file_, doc.dump(2) + "\n");
  if (!r) return make_error(errc::storage, r.error().message);
  return {};
}

result<std::string> load_or_create_cluster_id(const std::filesystem::path& dir) {
  const auto file = dir / "cluster_id";
  std::ifstream in(file);
  std::string id;
  if (in >> id && id.size() == 22) return id;
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device rd;
  id.clear();
  for (int i = 0; i < 22; ++i) id += alphabet[rd() % alphabet.size()];
  auto r = write_file_atomically(file, id + "\n");
  if (!r) return make_error(errc::storage, r.error().message);
  return id;
}

}  // namespace sluice::broker
