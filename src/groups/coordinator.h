// The group coordinator: every consumer group of a broker, their committed offsets, and the
// journal that keeps both across restarts. The broker's handlers turn Kafka requests into calls
// here and the results back into responses; this module knows the group protocol's rules and
// errors, not its wire format.
//
// Committed offsets are acknowledged only once they are in the journal (and fsynced, unless the
// broker's fsync policy is `never`). Offsets of a group without members expire `offset_retention`
// after the later of their commit and the moment the group became empty (Kafka's rule since
// KIP-211); a group with neither members nor offsets is forgotten.
// Thread-safety: none; the broker calls it from its network thread only.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <span>

#include "groups/group.h"
#include "groups/store.h"

namespace sluice::groups {

struct coordinator_options {
  millis initial_rebalance_delay = 0;
  millis min_session_timeout = 6000;
  millis max_session_timeout = 30 * 60 * 1000;
  int64_t offset_retention_ms = 7LL * 24 * 3600 * 1000;
  size_t max_metadata_bytes = 4096;  // the committed metadata string, per partition
  bool sync = true;                  // fdatasync the journal before acknowledging
};

// A moment, on both clocks: the monotonic one for timeouts, the wall one for what is persisted.
struct instant {
  millis steady = 0;
  int64_t wall_ms = 0;
};

struct group_listing {
  std::string id;
  std::string protocol_type;
  group_state state = group_state::empty;
};

class coordinator {
 public:
  static result<std::unique_ptr<coordinator>> open(const std::filesystem::path& dir,
                                                   coordinator_options options, instant now);

  void join(join_request req, instant now, join_callback done);
  void sync(sync_request req, instant now, sync_callback done);
  error_code heartbeat(const std::string& group_id, int32_t generation,
                       const std::string& member_id, const std::optional<std::string>& instance_id,
                       instant now);
  error_code leave(const std::string& group_id, const std::string& member_id,
                   const std::optional<std::string>& instance_id, instant now);

  // Whether this commit may proceed (an error here applies to every partition of the request).
  error_code check_commit(const std::string& group_id, int32_t generation,
                          const std::string& member_id,
                          const std::optional<std::string>& instance_id, instant now);
  // Persists, then applies. The metadata limit is checked by the caller (per partition).
  result<void> commit(const std::string& group_id,
                      std::span<const std::pair<topic_partition, committed_offset>> entries);
  [[nodiscard]] const offset_map* offsets(const std::string& group_id) const;
  [[nodiscard]] const coordinator_options& options() const { return options_; }

  [[nodiscard]] const group* find(const std::string& group_id) const;
  [[nodiscard]] std::vector<group_listing> list() const;
  // NONE, GROUP_ID_NOT_FOUND or NON_EMPTY_GROUP.
  error_code delete_group(const std::string& group_id);
  // Top-level error, and one per partition in `results` (same order as `tps`).
  error_code delete_offsets(const std::string& group_id, std::span<const topic_partition> tps,
                            std::vector<error_code>& results);

  // Timeouts, expiry and retention; call a few times a second.
  void tick(instant now);

 private:
  coordinator(store s, coordinator_options options) : store_(std::move(s)), options_(options) {}
  group& get_or_create(const std::string& id);
  group* lookup(const std::string& id);
  void persist(group& g);
  void expire_offsets(int64_t wall_ms);
  void forget_if_unused(const std::string& id);
  void maybe_compact();

  store store_;
  coordinator_options options_;
  std::map<std::string, group> groups_;
  std::map<std::string, offset_map> offsets_;
  int64_t next_retention_check_ms_ = 0;
};

}  // namespace sluice::groups
