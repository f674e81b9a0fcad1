// The broker's topics: names and partition counts, persisted in the data directory so that they
// survive restarts. Names follow Kafka's rules (1-249 of [a-zA-Z0-9._-], not "." or "..").
// Thread-safety: none; owned and used by the broker's network thread.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace sluice::broker {

struct topic_info {
  std::string name;
  int32_t partitions = 1;
};

enum class errc {
  ok = 0,
  invalid_topic,       // a name Kafka would refuse
  invalid_partitions,  // fewer than 1, or more than the broker allows
  topic_exists,
  unknown_topic,
  storage,  // the data directory could not be read or written
};
std::string_view describe(errc e);
std::string_view category_name(errc);

// Kafka's topic name rules; the error says which one is broken.
result<void> validate_topic_name(std::string_view name);

class topic_table {
 public:
  // Loads the table from `dir` (creating the directory if needed).
  static result<topic_table> open(std::filesystem::path dir);

  [[nodiscard]] const topic_info* find(std::string_view name) const;
  [[nodiscard]] std::vector<const topic_info*> all() const;

  // Creates and persists a topic; the file is replaced atomically.
  result<const topic_info*> create(std::string name, int32_t partitions);
  result<void> remove(std::string_view name);

 private:
  explicit topic_table(std::filesystem::path file) : file_(std::move(file)) {}
  result<void> save() const;

  std::filesystem::path file_;
  std::map<std::string, topic_info, std::less<>> topics_;
};

// The cluster id, created on first start and kept in `dir` (22 characters, like Kafka's).
result<std::string> load_or_create_cluster_id(const std::filesystem::path& dir);

}  // namespace sluice::broker
