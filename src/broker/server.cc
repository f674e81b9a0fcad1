// The network side of the broker: accept loop, one coroutine per connection, frame handling.
#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/thread_name.h"
#include "broker/api_handlers.h"
#include "broker/broker.h"
#include "net/net.h"

namespace sluice::broker {

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

struct broker::impl {
  explicit impl(broker_options o) : options(std::move(o)) {}

  broker_options options;
  // Declared before `io`, so that they outlive it: destroying the io_context destroys suspended
  // connection coroutines, whose cleanup touches these.
  std::optional<broker_state> state;
  std::unordered_set<tcp::socket*> connections;  // touched on the network thread only
  // Fetches waiting for data, with the partitions whose appends wake them.
  std::unordered_map<asio::steady_timer*, std::vector<std::pair<std::string, int32_t>>> parked;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::string bound;
  bool running = false;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> retention_loop();
  asio::awaitable<void> group_loop();
  asio::awaitable<bool> wait_for(deferred_response& later);
  asio::awaitable<void> serve(tcp::socket socket);
};

namespace {

// A request's bytes. Unlike a vector it leaves new bytes uninitialized, since the socket is about
// to fill them, and it keeps its memory between requests up to a bound.
class frame_buffer {
 public:
  static constexpr size_t kept_bytes = 4u << 20;

  // Room for `n` bytes, the first size() of them kept, growing by doubling but never beyond
  // `most` (the whole request); returns where byte size() goes.
  uint8_t* extend_to(size_t n, size_t most) {
    if (n > capacity_) {
      const size_t grown = std::clamp(2 * capacity_, n, std::max(n, most));
      auto bigger = std::make_unique_for_overwrite<uint8_t[]>(grown);
      if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
      data_ = std::move(bigger);
      capacity_ = grown;
    }
    uint8_t* at = data_.get() + size_;
    size_ = n;
    return at;
  }
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] std::span<uint8_t> bytes() { return {data_.get(), size_}; }
  // Empty again; memory beyond kept_bytes is returned, so that one huge request is not hoarded.
  void clear() {
    size_ = 0;
    if (capacity_ > kept_bytes) {
      data_.reset();
      capacity_ = 0;
    }
  }

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

std::string peer_name(const tcp::socket& s) {
  std::error_code ec;
  auto ep = s.remote_endpoint(ec);
  return ec ? "unknown peer" : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace

asio::awaitable<void> broker::impl::serve(tcp::socket socket) {
  connections.insert(&socket);
  struct unregister {
    impl* self;
    tcp::socket* s;
    ~unregister() { self->connections.erase(s); }
  } guard{this, &socket};

  const std::string peer = peer_name(socket);
  auto lg = log::get("broker");
  lg->debug("connection from {}", peer);
  frame_buffer frame;
  asio::steady_timer idle(socket.get_executor());
  try {
    for (;;) {
      uint8_t size_bytes[4];
      idle.expires_after(options.idle_timeout);
      auto first =
          co_await (asio::async_read(socket, asio::buffer(size_bytes), asio::use_awaitable) ||
                    idle.async_wait(asio::use_awaitable));
      if (first.index() == 1) {
        lg->debug("closing {}: idle for {} ms", peer, options.idle_timeout.count());
        co_return;
      }
      const int32_t size =
          static_cast<int32_t>((uint32_t{size_bytes[0]} << 24) | (uint32_t{size_bytes[1]} << 16) |
                               (uint32_t{size_bytes[2]} << 8) | size_bytes[3]);
      if (size < 0 || size > options.max_request_bytes) {
        lg->warn("closing {}: request frame of {} bytes (the limit is {})", peer, size,
                 options.max_request_bytes);
        co_return;
      }
      // Read the body in chunks, so that memory follows the bytes that arrive rather than the size
      // a client claims, under the same timeout as the wait for a request.
      frame.clear();
      while (frame.size() < static_cast<size_t>(size)) {
        const size_t chunk = std::min<size_t>(static_cast<size_t>(size) - frame.size(), 1 << 20);
        uint8_t* at = frame.extend_to(frame.size() + chunk, static_cast<size_t>(size));
        idle.expires_after(options.idle_timeout);
        auto got =
            co_await (asio::async_read(socket, asio::buffer(at, chunk), asio::use_awaitable) ||
                      idle.async_wait(asio::use_awaitable));
        if (got.index() == 1) {
          lg->warn("closing {}: request body stalled for {} ms", peer,
                   options.idle_timeout.count());
          co_return;
        }
      }
      byte_writer out(256);
      handled h = handle_request(*state, frame.bytes(), out, peer, /*final_attempt=*/false);
      if (h.what == handled::wait) {
        // Park until an append wakes us or the fetch's max wait passes, then answer with what
        // there is.
        const auto deadline = std::chrono::steady_clock::now() + h.wait_for;
        asio::steady_timer wake(socket.get_executor());
        while (h.what == handled::wait) {
          wake.expires_at(deadline);
          parked[&wake] = h.waiting_on;
          co_await wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
          parked.erase(&wake);
          if (!socket.is_open()) co_return;
          out = byte_writer(256);
          const bool last = std::chrono::steady_clock::now() >= deadline;
          h = handle_request(*state, frame.bytes(), out, peer, /*final_attempt=*/last);
        }
      }
      if (h.what == handled::deferred) {
        // A JoinGroup or SyncGroup parked until its group moves on; the coordinator bounds the
        // wait (rebalance and sync deadlines).
        const std::shared_ptr<deferred_response> later = std::move(h.later);
        if (!co_await wait_for(*later) || !socket.is_open()) co_return;
        const std::vector<uint8_t> response = later->frame();
        co_await asio::async_write(socket, asio::buffer(response), asio::use_awaitable);
        continue;
      }
      if (h.what == handled::close) co_return;
      frame.clear();
      if (h.what == handled::respond) {
        co_await asio::async_write(socket, asio::buffer(out.view().data(), out.size()),
                                   asio::use_awaitable);
      }
    }
  } catch (const std::system_error& e) {
    // End of stream, reset, or the socket closed by stop(): the connection is over.
    lg->debug("connection from {} ended: {}", peer, e.code().message());
  }
}

asio::awaitable<void> broker::impl::accept_loop() {
  for (;;) {
    auto [ec, socket] =
        co_await acceptor.async_accept(asio::experimental::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors, for instance: keep serving the connections we have, and back off
      // instead of spinning.
      log::get("broker")->warn("accept failed: {}", ec.message());
      asio::steady_timer pause(io, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
      continue;
    }
    std::error_code opt_ec;
    socket.set_option(tcp::no_delay(true), opt_ec);
    asio::co_spawn(io, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> broker::impl::retention_loop() {
  asio::steady_timer timer(io);
  for (;;) {
    timer.expires_after(std::chrono::minutes(5));
    auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    if (auto r = state->logs.enforce_retention(wall_clock_ms()); !r) {
      log::get("broker")->error("retention: {}", r.error().message);
    }
  }
}

namespace {
// Forgets the server's wake-up call when the wait ends, however it ends.
struct unhook {
  deferred_response& d;
  ~unhook() { d.wake = nullptr; }
};
}  // namespace

asio::awaitable<bool> broker::impl::wait_for(deferred_response& later) {
  if (later.ready) co_return true;
  asio::steady_timer wake(io, asio::steady_timer::time_point::max());
  later.wake = [&wake] { wake.cancel(); };
  const unhook guard{later};
  co_await wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  co_return later.ready;
}

asio::awaitable<void> broker::impl::group_loop() {
  // Session expiry and the rebalance, sync and initial-delay deadlines, at a tenth of a second.
  asio::steady_timer timer(io);
  for (;;) {
    timer.expires_after(std::chrono::milliseconds(100));
    auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    state->groups->tick(group_clock());
  }
}

broker::broker(broker_options options) : impl_(std::make_unique<impl>(std::move(options))) {}

broker::~broker() { stop(); }

std::string broker::endpoint() const { return impl_->bound; }

result<void> broker::start() {
  impl& m = *impl_;
  if (m.running) return make_error(sluice::errc::already_started, "broker already running");
  auto topics = topic_table::open(m.options.data_dir);
  if (!topics) return std::unexpected(std::move(topics).error());
  auto cluster_id = load_or_create_cluster_id(m.options.data_dir);
  if (!cluster_id) return std::unexpected(std::move(cluster_id).error());
  log_manager logs(m.options.data_dir, m.options.log);
  if (auto opened = logs.open_all(*topics); !opened) return opened;
  auto producer_ids = producer_id_allocator::open(m.options.data_dir);
  if (!producer_ids) return std::unexpected(std::move(producer_ids).error());
  groups::coordinator_options group_options = m.options.groups;
  group_options.sync = m.options.fsync != fsync_policy::never;
  auto coordinator = groups::coordinator::open(std::filesystem::path(m.options.data_dir) / "groups",
                                               group_options, group_clock());
  if (!coordinator) return std::unexpected(std::move(coordinator).error());

  auto listening = net::listen(m.acceptor, m.options.listen);
  if (!listening) return std::unexpected(std::move(listening).error());
  const uint16_t port = m.acceptor.local_endpoint().port();
  m.bound = config::host_port{m.options.listen.host, port}.to_string();
  m.state.emplace(broker_state{
      m.options, m.options.advertised.value_or(config::host_port{m.options.listen.host, port}),
      std::move(*cluster_id), std::move(*topics), std::move(logs), std::move(*producer_ids),
      std::move(*coordinator), nullptr});
  m.state->on_append = [&m](const std::string& topic, int32_t partition) {
    for (auto& [timer, partitions] : m.parked) {
      for (const auto& [t, p] : partitions) {
        if (p == partition && t == topic) {
          timer->cancel();
          break;
        }
      }
    }
  };
  asio::co_spawn(m.io, m.accept_loop(), asio::detached);
  asio::co_spawn(m.io, m.retention_loop(), asio::detached);
  asio::co_spawn(m.io, m.group_loop(), asio::detached);
  m.thread = std::thread([&m] {
    name_this_thread("broker");
    m.io.run();
  });
  m.running = true;
  return {};
}

void broker::stop() {
  impl& m = *impl_;
  if (!m.running) return;
  asio::post(m.io, [&m] {
    std::error_code ec;
    m.acceptor.close(ec);
    for (tcp::socket* s : m.connections) s->close(ec);
    m.io.stop();
  });
  m.thread.join();
  m.running = false;
  // The network thread is gone: nothing appends any more, so the logs can close cleanly.
  if (auto closed = m.state->logs.close_all(); !closed) {
    log::get("broker")->error("closing logs: {}", closed.error().message);
  }
  log::get("broker")->info("stopped");
}

}  // namespace sluice::broker
