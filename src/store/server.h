// The CQL-compatible store as a service: the engine behind a native protocol v4 server, so that
// Cassandra drivers and shells work against it unmodified. Asio stays behind this header.
//
// Connections are served on one network thread. Requests on a connection are read in order and
// may be answered out of order (each on its stream id, as Cassandra does): reads and DDL are
// answered at once, writes once a group commit has put them in the write-ahead log (one fsync
// for all the writes that arrived meanwhile, with `commitlog_sync: batch`). Writes waiting for
// the disk are bounded (max_pending_writes): beyond it the server stops reading requests until
// the disk catches up. A frame above max_frame_bytes is answered with a protocol error and the
// connection closed; an unsupported protocol version gets the error drivers parse to downgrade;
// other bad frames get a protocol error on their stream; other connections are unaffected.
// Thread-safety: start()/stop() from one controlling thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/lifecycle.h"
#include "config/config.h"

namespace sluice::store {

struct server_options {
  config::host_port listen{"127.0.0.1", 9042};
  std::filesystem::path data_dir;
  bool sync = true;  // commitlog_sync: batch
  // Users and passwords; non-empty: clients must log in (PasswordAuthenticator).
  std::vector<std::pair<std::string, std::string>> users;
  int32_t max_frame_bytes = 16 << 20;
  size_t cache_bytes = 32 << 20;
  config::codec compression = config::codec::none;  // of the table files
  size_t max_pending_writes = 4096;
  size_t max_prepared = 10'000;  // prepared statements kept; older ones are re-prepared
  std::string cluster_name = "sluice";
};

class server final : public service {
 public:
  explicit server(server_options options);
  ~server() override;

  std::string_view name() const override { return "store"; }
  std::string endpoint() const override;
  result<void> start() override;
  void stop() override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::store
