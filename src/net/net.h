// Small pieces of Asio networking the servers and the CQL client share: listening on a
// configured address, and a connection's queue of outgoing frames written many per system call.
// This header includes Asio: include it only from the .cc files that already do.
// Thread-safety: an outbox belongs to the one thread that runs its socket.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <deque>
#include <vector>

#include "base/bytes.h"
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

// A connection's incoming bytes: reads as much as the socket has (many frames per system call
// when a client pipelines), and hands out views of what is buffered. The buffer grows as bytes
// arrive, by at most 1 MiB a read, never to a size a peer merely claims.
class reader {
 public:
  explicit reader(size_t initial = 64 << 10) : data_(initial) {}

  // Until at least `n` bytes are buffered; the error that stopped it, or none.
  asio::awaitable<std::error_code> fill(asio::ip::tcp::socket& socket, size_t n);
  // The first `n` buffered bytes (n <= buffered()); valid until the next fill().
  [[nodiscard]] bytes_view peek(size_t n) const { return {data_.data() + start_, n}; }
  void consume(size_t n) { start_ += n; }
  [[nodiscard]] size_t buffered() const { return end_ - start_; }

 private:
  std::vector<uint8_t> data_;
  size_t start_ = 0;
  size_t end_ = 0;
  size_t initial_ = data_.size();
};

}  // namespace sluice::net
