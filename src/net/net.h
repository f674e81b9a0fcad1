// Small pieces of Asio networking the servers and the CQL client share: listening on a
// configured address, and a connection's queue of outgoing frames written many per system call.
// This header includes Asio: include it only from the .cc files that already do.
// Thread-safety: an outbox belongs to the one thread that runs its socket.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <deque>
#include <vector>

#include "base/error.h"
#include "config/config.h"

namespace sluice::net {

// Resolves `address`, then opens, binds (with SO_REUSEADDR) and listens. The bound endpoint
// carries the actual port when the configured one was 0. Errors name the address.
result<asio::ip::tcp::endpoint> listen(asio::ip::tcp::acceptor& acceptor,
                                       const config::host_port& address);

// Frames waiting to be written to one socket.
struct outbox {
  std::deque<std::vector<uint8_t>> frames;
  size_t bytes = 0;      // queued and not yet written
  bool writing = false;  // a drain() runs

  void push(std::vector<uint8_t> frame) {
    bytes += frame.size();
    frames.push_back(std::move(frame));
  }
};

// Writes the queued frames, up to 1 MiB per system call, until none are left; returns the error
// that stopped it (the queue is then emptied), or none. Sets and clears `o.writing`.
asio::awaitable<std::error_code> drain(asio::ip::tcp::socket& socket, outbox& o);

}  // namespace sluice::net
