// The CQL client: a pool of connections on one network thread.
#include "cql/client.h"

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "base/thread_name.h"
#include "cql/compression.h"
#include "cql/frame.h"
#include "cql/wire.h"
#include "net/net.h"

namespace sluice::cql {

std::string_view describe(client_errc e) {
  switch (e) {
    case client_errc::ok: return "ok";
    case client_errc::no_host: return "no host available";
    case client_errc::auth_failed: return "authentication failed";
    case client_errc::timeout: return "request timed out";
    case client_errc::connection_lost: return "connection lost";
    case client_errc::server_error: return "server error";
    case client_errc::overloaded: return "client overloaded";
    case client_errc::unsupported: return "unsupported protocol";
    case client_errc::closed: return "session closed";
  }
  return "unknown";
}
std::string_view category_name(client_errc) { return "cql client"; }

std::string_view describe(error_code e) {
  switch (e) {
    case error_code::server_error: return "ServerError";
    case error_code::protocol_error: return "ProtocolError";
    case error_code::bad_credentials: return "AuthenticationFailed";
    case error_code::unavailable: return "Unavailable";
    case error_code::overloaded: return "Overloaded";
    case error_code::is_bootstrapping: return "IsBootstrapping";
    case error_code::truncate_error: return "TruncateError";
    case error_code::write_timeout: return "WriteTimeout";
    case error_code::read_timeout: return "ReadTimeout";
    case error_code::read_failure: return "ReadFailure";
    case error_code::function_failure: return "FunctionFailure";
    case error_code::write_failure: return "WriteFailure";
    case error_code::syntax_error: return "SyntaxException";
    case error_code::unauthorized: return "Unauthorized";
    case error_code::invalid: return "InvalidRequest";
    case error_code::config_error: return "ConfigurationException";
    case error_code::already_exists: return "AlreadyExists";
    case error_code::unprepared: return "Unprepared";
  }
  return "Error";
}
std::string_view category_name(error_code) { return "cql"; }

namespace {

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using clock_type = std::chrono::steady_clock;
constexpr auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// One request: its encoded body (kept to re-send after a re-prepare) and who waits for it.
struct request {
  opcode op = opcode::query;
  std::vector<uint8_t> body;
  callback done;
  std::shared_ptr<const prepared> prep;  // EXECUTE: re-prepared on UNPREPARED
  clock_type::time_point deadline;
  std::chrono::milliseconds timeout{0};
  bool reprepared = false;
  bool counted = true;    // counts toward session::outstanding()
  bool finished = false;  // answered, timed out or failed: `done` has run
};
using request_ptr = std::shared_ptr<request>;

struct connection {
  explicit connection(asio::io_context& io) : socket(io) {}
  std::string address;  // host:port
  tcp::socket socket;
  bool ready = false;
  bool dead = false;
  bool lz4 = false;
  std::string keyspace;
  std::vector<request_ptr> streams;  // by stream id; null: free
  std::vector<int16_t> free_streams;
  int in_flight = 0;
  net::outbox outbox;
  int failures = 0;  // consecutive failed attempts, for the backoff
};
using connection_ptr = std::shared_ptr<connection>;

std::pair<std::string, std::string> split_address(const std::string& a) {
  const auto colon = a.rfind(':');
  if (colon == std::string::npos) return {a, "9042"};
  return {a.substr(0, colon), a.substr(colon + 1)};
}

// The frame of one request.
std::vector<uint8_t> frame(opcode op, int16_t stream, bytes_view body, bool lz4) {
  std::vector<uint8_t> compressed;
  frame_header h;
  h.stream = stream;
  h.op = op;
  if (lz4 && body.size() >= 512) {
    compressed = lz4_compress(body);
    body = compressed;
    h.flags |= flags::compression;
  }
  h.length = static_cast<int32_t>(body.size());
  byte_writer w(header_size + body.size());
  write_header(w, h);
  w.write_bytes(body);
  return std::move(w).take();
}

// A response body without what may precede the message: a tracing id, warnings, a custom
// payload.
result<bytes_view> message_of(const frame_header& h, bytes_view body) {
  byte_reader r(body);
  if (h.flags & flags::tracing) SLUICE_TRY(r.skip(16));
  if (h.flags & flags::warning) SLUICE_TRY(wire::read_string_list(r));
  if (h.flags & flags::custom_payload) {
    const uint16_t n = SLUICE_TRY(r.read_u16());
    for (uint16_t i = 0; i < n; ++i) {
      SLUICE_TRY(wire::read_string(r));
      SLUICE_TRY(wire::read_bytes(r));
    }
  }
  return body.subspan(body.size() - r.remaining());
}

std::unexpected<error> server_error(const error_response& e) {
  // Code 0 (a server error) would read as "no error" in a std::error_code.
  if (e.code == error_code::server_error) return make_error(client_errc::server_error, e.message);
  return std::unexpected(error{make_error_code_for(e.code), e.message});
}

}  // namespace

struct session::impl : std::enable_shared_from_this<impl> {
  explicit impl(client_options o) : options(std::move(o)) {}

  client_options options;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::thread::id io_thread;
  std::vector<connection_ptr> connections;
  std::deque<request_ptr> waiting;  // for a ready connection with a free stream
  std::string keyspace;             // the session's (USE)
  std::atomic<int64_t> last_timestamp{0};
  bool closing = false;

  // Back-pressure and the first connection, shared with callers' threads.
  mutable std::mutex mu;
  std::condition_variable cv;
  size_t outstanding = 0;
  size_t ready_count = 0;
  size_t attempts_done = 0;  // first attempts finished, successful or not
  std::vector<std::string> first_errors;

  int64_t timestamp_now() {
    const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    int64_t last = last_timestamp.load();
    int64_t next = 0;
    do {
      next = std::max(now, last + 1);
    } while (!last_timestamp.compare_exchange_weak(last, next));
    return next;
  }

  void acquire() {
    if (std::this_thread::get_id() == io_thread) {  // from a callback: never block the network
      std::lock_guard lock(mu);
      ++outstanding;
      return;
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return outstanding < options.max_outstanding; });
    ++outstanding;
  }
  void release() {
    {
      std::lock_guard lock(mu);
      --outstanding;
    }
    cv.notify_all();
  }

  // Runs on the network thread.
  void finish(const request_ptr& r, result<result_set> out) {
    if (r->finished) return;
    r->finished = true;
    if (r->counted) release();
    if (r->done) r->done(std::move(out));
  }

  // Requests from callers' threads reach the network thread in batches: one hand-over for all
  // that arrived while the last one was pending.
  std::mutex incoming_mu;
  std::vector<request_ptr> incoming;

  void submit(request_ptr r) {
    r->deadline = clock_type::now() + r->timeout;
    bool first = false;
    {
      std::lock_guard lock(incoming_mu);
      first = incoming.empty();
      incoming.push_back(std::move(r));
    }
    if (!first) return;
    asio::post(io, [self = shared_from_this()] {
      std::vector<request_ptr> batch;
      {
        std::lock_guard lock(self->incoming_mu);
        batch.swap(self->incoming);
      }
      for (auto& r : batch) {
        if (self->closing) {
          self->finish(r, make_error(client_errc::closed, "the session is closing"));
        } else {
          self->waiting.push_back(std::move(r));
        }
      }
      self->pump();
    });
  }

  // Sends waiting requests on the least busy ready connections.
  void pump() {
    while (!waiting.empty()) {
      connection_ptr best;
      for (const auto& c : connections) {
        if (c->ready && !c->free_streams.empty() && (!best || c->in_flight < best->in_flight)) {
          best = c;
        }
      }
      if (!best) return;
      request_ptr r = std::move(waiting.front());
      waiting.pop_front();
      if (r->finished) continue;  // timed out while waiting
      send(best, std::move(r));
    }
  }

  void send(const connection_ptr& c, request_ptr r) {
    const int16_t stream = c->free_streams.back();
    c->free_streams.pop_back();
    c->streams[static_cast<size_t>(stream)] = r;
    ++c->in_flight;
    c->outbox.push(frame(r->op, stream, r->body, c->lz4));
    if (!c->outbox.writing) {
      c->outbox.writing = true;
      asio::co_spawn(io, write_loop(c), asio::detached);
    }
  }

  asio::awaitable<void> write_loop(connection_ptr c) {
    if (auto ec = co_await net::drain(c->socket, c->outbox)) lost(c, "writing: " + ec.message());
  }

  // A connection failed: its requests fail, and it reconnects after a backoff.
  void lost(const connection_ptr& c, const std::string& why) {
    if (c->dead) return;
    c->dead = true;
    if (c->ready) {
      c->ready = false;
      std::lock_guard lock(mu);
      --ready_count;
    }
    std::error_code ignored;
    c->socket.close(ignored);
    c->outbox.frames.clear();
    c->outbox.bytes = 0;
    for (auto& r : c->streams) {
      if (r) {
        finish(r, make_error(client_errc::connection_lost,
                             fmt::format("connection to {} lost: {}", c->address, why)));
        r.reset();
      }
    }
    if (!closing) asio::co_spawn(io, reconnect(c), asio::detached);
  }

  asio::awaitable<void> reconnect(connection_ptr old) {
    const int attempt = std::min(old->failures, 16);
    auto delay = options.reconnect_min * (1LL << std::min(attempt, 10));
    if (delay > options.reconnect_max) delay = options.reconnect_max;
    static thread_local std::mt19937 rng(std::random_device{}());
    delay = std::chrono::milliseconds(static_cast<int64_t>(
        static_cast<double>(delay.count()) * std::uniform_real_distribution<>(0.5, 1.0)(rng)));
    asio::steady_timer t(io, delay);
    co_await t.async_wait(as_tuple);
    if (closing) co_return;
    auto fresh = std::make_shared<connection>(io);
    fresh->address = old->address;
    fresh->failures = old->failures + 1;
    std::replace(connections.begin(), connections.end(), old, fresh);
    co_await open(fresh, false);
  }

  // One round trip during the handshake, before the reader runs.
  asio::awaitable<result<std::pair<frame_header, std::vector<uint8_t>>>> handshake(
      const connection_ptr& c, opcode op, bytes_view body) {
    auto out = frame(op, 0, body, false);
    auto [ec, n] = co_await asio::async_write(c->socket, asio::buffer(out), as_tuple);
    if (ec) co_return make_error(client_errc::no_host, ec.message());
    uint8_t head[header_size];
    auto [ec2, n2] = co_await asio::async_read(c->socket, asio::buffer(head), as_tuple);
    if (ec2) co_return make_error(client_errc::no_host, ec2.message());
    auto h = parse_header(bytes_view(head, header_size));
    if (!h) {
      // A server that speaks another version answers in it; its message names what it speaks.
      if (head[0] & response_bit) {
        const int32_t len =
            static_cast<int32_t>((uint32_t{head[5]} << 24) | (uint32_t{head[6]} << 16) |
                                 (uint32_t{head[7]} << 8) | head[8]);
        if (len >= 0 && len < (1 << 20)) {
          std::vector<uint8_t> body2(static_cast<size_t>(len));
          co_await asio::async_read(c->socket, asio::buffer(body2), as_tuple);
          if (head[4] == static_cast<uint8_t>(opcode::error)) {
            if (auto e = decode_error(body2)) {
              co_return make_error(
                  client_errc::unsupported,
                  fmt::format("{} does not speak protocol v4: {}", c->address, e->message));
            }
          }
        }
      }
      co_return make_error(client_errc::unsupported,
                           fmt::format("{}: {}", c->address, h.error().message));
    }
    std::vector<uint8_t> rbody(static_cast<size_t>(h->length));
    auto [ec3, n3] = co_await asio::async_read(c->socket, asio::buffer(rbody), as_tuple);
    if (ec3) co_return make_error(client_errc::no_host, ec3.message());
    if (h->flags & flags::compression) {
      auto plain = lz4_decompress(rbody, 256 << 20);
      if (!plain) co_return std::unexpected(plain.error());
      rbody = std::move(*plain);
    }
    auto msg = message_of(*h, rbody);
    if (!msg) co_return std::unexpected(msg.error());
    co_return std::pair{*h, std::vector<uint8_t>(msg->begin(), msg->end())};
  }

  asio::awaitable<result<void>> start_connection(const connection_ptr& c) {
    auto [host, port] = split_address(c->address);
    tcp::resolver resolver(io);
    auto [rec, endpoints] = co_await resolver.async_resolve(host, port, as_tuple);
    if (rec)
      co_return make_error(client_errc::no_host, fmt::format("{}: {}", c->address, rec.message()));
    asio::steady_timer timer(io, options.connect_timeout);
    auto which = co_await (asio::async_connect(c->socket, endpoints, as_tuple) ||
                           timer.async_wait(as_tuple));
    if (which.index() == 1) {
      co_return make_error(client_errc::no_host,
                           fmt::format("{}: no connection within {} ms", c->address,
                                       options.connect_timeout.count()));
    }
    if (auto [ec, ep] = std::get<0>(which); ec) {
      co_return make_error(client_errc::no_host, fmt::format("{}: {}", c->address, ec.message()));
    }
    std::error_code ignored;
    c->socket.set_option(tcp::no_delay(true), ignored);

    startup_request startup;
    startup.options = {{"CQL_VERSION", "3.0.0"}, {"DRIVER_NAME", "sluice"}};
    if (options.lz4) startup.options.emplace_back("COMPRESSION", "lz4");
    byte_writer w;
    encode(w, startup);
    auto first_answer = co_await handshake(c, opcode::startup, w.view());
    if (!first_answer) co_return std::unexpected(first_answer.error());
    auto answer = std::move(*first_answer);
    if (answer.first.op == opcode::authenticate) {
      if (options.username.empty()) {
        co_return make_error(
            client_errc::auth_failed,
            fmt::format("{} requires authentication: give a user name and password", c->address));
      }
      std::string token;
      token.push_back('\0');
      token += options.username;
      token.push_back('\0');
      token += options.password;
      byte_writer a;
      encode(a, auth_response_request{as_bytes_view(token)});
      auto auth = co_await handshake(c, opcode::auth_response, a.view());
      if (!auth) co_return std::unexpected(auth.error());
      answer = std::move(*auth);
      if (answer.first.op == opcode::error) {
        auto e = decode_error(answer.second);
        co_return make_error(client_errc::auth_failed,
                             e ? e->message : std::string("the server refused the credentials"));
      }
      if (answer.first.op != opcode::auth_success) {
        co_return make_error(client_errc::auth_failed, "unexpected answer to AUTH_RESPONSE");
      }
    } else if (answer.first.op == opcode::error) {
      auto e = decode_error(answer.second);
      co_return make_error(client_errc::no_host,
                           fmt::format("{} refused STARTUP: {}", c->address,
                                       e ? e->message : std::string("unreadable error")));
    } else if (answer.first.op != opcode::ready) {
      co_return make_error(client_errc::no_host, "unexpected answer to STARTUP");
    }
    c->lz4 = options.lz4;
    if (!keyspace.empty()) {
      query_request use;
      const std::string q = fmt::format("USE \"{}\"", keyspace);
      use.query = q;
      byte_writer u;
      encode(u, use);
      auto used = co_await handshake(c, opcode::query, u.view());
      if (!used) co_return std::unexpected(used.error());
      auto& r = *used;
      if (r.first.op == opcode::error) {
        auto e = decode_error(r.second);
        if (e) co_return server_error(*e);
        co_return make_error(client_errc::server_error, "USE failed");
      }
      c->keyspace = keyspace;
    }
    co_return result<void>{};
  }

  asio::awaitable<void> open(connection_ptr c, bool first) {
    auto ok = co_await start_connection(c);
    if (!ok || closing) {
      if (first) {
        std::lock_guard lock(mu);
        ++attempts_done;
        first_errors.push_back(ok ? std::string("closing") : ok.error().message);
        cv.notify_all();
      }
      if (!ok && is(ok.error(), client_errc::auth_failed) && first) co_return;
      if (!closing) {
        c->dead = true;
        std::error_code ignored;
        c->socket.close(ignored);
        asio::co_spawn(io, reconnect(c), asio::detached);
      }
      co_return;
    }
    c->failures = 0;
    const auto n = static_cast<size_t>(std::clamp(options.max_streams_per_connection, 1, 32768));
    c->streams.assign(n, nullptr);
    c->free_streams.clear();
    for (size_t i = n; i-- > 0;) c->free_streams.push_back(static_cast<int16_t>(i));
    c->ready = true;
    {
      std::lock_guard lock(mu);
      ++ready_count;
      if (first) ++attempts_done;
    }
    cv.notify_all();
    asio::co_spawn(io, read_loop(c), asio::detached);
    pump();
  }

  asio::awaitable<void> read_loop(connection_ptr c) {
    net::reader in;
    for (;;) {
      if (auto ec = co_await in.fill(c->socket, header_size)) co_return lost(c, ec.message());
      auto h = parse_header(in.peek(header_size));
      if (!h) co_return lost(c, h.error().message);
      const auto length = static_cast<size_t>(h->length);
      if (auto ec = co_await in.fill(c->socket, header_size + length)) {
        co_return lost(c, ec.message());
      }
      const bytes_view body = in.peek(header_size + length).subspan(header_size);
      in.consume(header_size + length);  // the view stays valid until the next fill
      if (h->stream < 0) continue;       // an event: this client registers for none
      if (static_cast<size_t>(h->stream) >= c->streams.size() ||
          !c->streams[static_cast<size_t>(h->stream)]) {
        co_return lost(c, fmt::format("answer on unknown stream {}", h->stream));
      }
      request_ptr r = std::move(c->streams[static_cast<size_t>(h->stream)]);
      c->free_streams.push_back(h->stream);
      --c->in_flight;
      std::vector<uint8_t> plain;
      bytes_view raw = body;
      if (h->flags & flags::compression) {
        auto d = lz4_decompress(body, 256 << 20);
        if (!d) co_return lost(c, d.error().message);
        plain = std::move(*d);
        raw = plain;
      }
      auto msg = message_of(*h, raw);
      if (!msg) co_return lost(c, msg.error().message);
      answer(c, r, h->op, *msg);
      // More answers already buffered are taken first; waiting requests go out once the
      // buffer is drained (fewer, larger writes).
      if (in.buffered() < header_size) pump();
    }
  }

  void answer(const connection_ptr& c, const request_ptr& r, opcode op, bytes_view msg) {
    if (r->finished) return;  // timed out meanwhile: the stream is free again, nothing to say
    if (op == opcode::error) {
      auto e = decode_error(msg);
      if (!e) return finish(r, std::unexpected(e.error()));
      if (e->code == error_code::unprepared && r->prep && !r->reprepared) {
        reprepare(c, r);
        return;
      }
      return finish(r, server_error(*e));
    }
    if (op != opcode::result) {
      return finish(r,
                    make_error(client_errc::server_error,
                               fmt::format("unexpected answer (opcode {})", static_cast<int>(op))));
    }
    auto res = decode_result(msg);
    if (!res) return finish(r, std::unexpected(res.error()));
    if (res->kind == result_kind::set_keyspace) {
      keyspace = res->keyspace;
      c->keyspace = res->keyspace;
      use_everywhere();
    }
    finish(r, std::move(*res));
  }

  // The session's keyspace on every other connection (fire and forget; a failure surfaces on
  // the next statement there).
  void use_everywhere() {
    for (const auto& other : connections) {
      if (!other->ready || other->keyspace == keyspace || other->free_streams.empty()) continue;
      auto r = std::make_shared<request>();
      r->op = opcode::query;
      r->counted = false;
      const std::string q = fmt::format("USE \"{}\"", keyspace);
      query_request use;
      use.query = q;
      byte_writer w;
      encode(w, use);
      r->body = std::move(w).take();
      r->deadline = clock_type::now() + options.request_timeout;
      other->keyspace = keyspace;
      send(other, r);
    }
  }

  // UNPREPARED: prepare the statement on this node again, then send the EXECUTE once more.
  void reprepare(const connection_ptr& c, const request_ptr& original) {
    original->reprepared = true;
    auto r = std::make_shared<request>();
    r->op = opcode::prepare;
    r->counted = false;
    prepare_request p;
    p.query = original->prep->query;
    byte_writer w;
    encode(w, p);
    r->body = std::move(w).take();
    r->deadline = original->deadline;
    r->done = [self = shared_from_this(), original](result<result_set> out) {
      if (!out) return self->finish(original, std::unexpected(out.error()));
      // The EXECUTE body starts with the statement id: put the new one in front of the rest.
      byte_reader rd(original->body);
      const uint16_t old_len = rd.read_u16().value_or(0);
      byte_writer b(original->body.size() + 16);
      wire::write_short_bytes(b, out->prepared.id);
      b.write_bytes(
          bytes_view(original->body).subspan(std::min<size_t>(2 + old_len, original->body.size())));
      original->body = std::move(b).take();
      self->waiting.push_front(original);
      self->pump();
    };
    if (c->ready && !c->free_streams.empty()) {
      send(c, r);
    } else {
      waiting.push_front(r);
    }
  }

  // Fails requests past their deadline, every 50 ms.
  asio::awaitable<void> sweep() {
    asio::steady_timer t(io);
    while (!closing) {
      t.expires_after(std::chrono::milliseconds(50));
      co_await t.async_wait(as_tuple);
      const auto now = clock_type::now();
      auto expire = [&](const request_ptr& r) {
        if (r && !r->finished && r->deadline <= now) {
          finish(r, make_error(client_errc::timeout,
                               fmt::format("no answer within {} ms", r->timeout.count())));
        }
      };
      for (const auto& r : waiting) expire(r);
      std::erase_if(waiting, [](const request_ptr& r) { return r->finished; });
      for (const auto& c : connections) {
        for (const auto& r : c->streams) expire(r);
      }
    }
  }

  void close() {
    asio::post(io, [self = shared_from_this()] {
      self->closing = true;
      for (const auto& c : self->connections) {
        std::error_code ignored;
        c->socket.close(ignored);
        for (auto& r : c->streams) {
          if (r) self->finish(r, make_error(client_errc::closed, "the session is closing"));
        }
      }
      for (auto& r : self->waiting) {
        self->finish(r, make_error(client_errc::closed, "the session is closing"));
      }
      self->waiting.clear();
      self->work.reset();
      self->io.stop();
    });
    if (thread.joinable()) thread.join();
  }

  query_parameters parameters(const statement_options& o, const std::vector<value>& values,
                              std::vector<wire::value>& wv) {
    query_parameters p;
    p.level = o.level.value_or(options.level);
    wv.reserve(values.size());
    for (const auto& v : values) {
      if (v.unset) {
        wv.push_back({wire::value::unset, {}});
      } else if (!v.bytes) {
        wv.push_back({wire::value::null, {}});
      } else {
        wv.push_back({wire::value::set, *v.bytes});
      }
    }
    p.values = wv;
    p.page_size = o.page_size.value_or(options.page_size);
    if (o.paging_state) p.paging_state = *o.paging_state;
    if (o.timestamp) {
      p.timestamp = *o.timestamp;
    } else if (options.client_timestamps) {
      p.timestamp = timestamp_now();
    }
    return p;
  }

  request_ptr make_request(opcode op, std::vector<uint8_t> body, callback done,
                           const statement_options& o) {
    auto r = std::make_shared<request>();
    r->op = op;
    r->body = std::move(body);
    r->done = std::move(done);
    r->timeout = o.timeout.value_or(options.request_timeout);
    return r;
  }
};

session::session(std::shared_ptr<impl> i) : impl_(std::move(i)) {}

session::~session() { impl_->close(); }

result<std::unique_ptr<session>> session::connect(client_options options) {
  if (options.contact_points.empty()) {
    return make_error(client_errc::no_host, "no contact points given");
  }
  auto i = std::make_shared<impl>(std::move(options));
  i->keyspace = i->options.keyspace;
  const int per_host = std::max(1, i->options.connections_per_host);
  for (const auto& address : i->options.contact_points) {
    for (int k = 0; k < per_host; ++k) {
      auto c = std::make_shared<connection>(i->io);
      c->address = address;
      i->connections.push_back(c);
    }
  }
  const size_t total = i->connections.size();
  for (const auto& c : i->connections) asio::co_spawn(i->io, i->open(c, true), asio::detached);
  asio::co_spawn(i->io, i->sweep(), asio::detached);
  i->thread = std::thread([i] {
    name_this_thread("cql-client");
    i->io_thread = std::this_thread::get_id();
    i->io.run();
  });
  std::unique_lock lock(i->mu);
  i->cv.wait(lock, [&] { return i->ready_count > 0 || i->attempts_done >= total; });
  if (i->ready_count == 0) {
    const bool auth = std::ranges::any_of(i->first_errors, [](const std::string& e) {
      return e.find("credentials") != std::string::npos ||
             e.find("incorrect") != std::string::npos ||
             e.find("authentication") != std::string::npos;
    });
    std::string all;
    for (const auto& e : i->first_errors) {
      if (all.find(e) == std::string::npos) all += (all.empty() ? "" : "; ") + e;
    }
    lock.unlock();
    i->close();
    return make_error(auth ? client_errc::auth_failed : client_errc::no_host, all);
  }
  lock.unlock();
  return std::unique_ptr<session>(new session(std::move(i)));
}

namespace {

// Waits for an asynchronous request.
struct waiter {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<result<result_set>> out;
  callback callback_fn() {
    return [this](result<result_set> r) {
      std::lock_guard lock(mu);
      out = std::move(r);
      cv.notify_all();
    };
  }
  result<result_set> wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return out.has_value(); });
    return std::move(*out);
  }
};

}  // namespace

void session::execute_async(std::string query, std::vector<value> values, callback done,
                            const statement_options& o) {
  std::vector<wire::value> wv;
  query_request q;
  q.query = query;
  q.params = impl_->parameters(o, values, wv);
  byte_writer w(64 + query.size());
  encode(w, q);
  impl_->acquire();
  impl_->submit(impl_->make_request(opcode::query, std::move(w).take(), std::move(done), o));
}

void session::execute_async(std::shared_ptr<const prepared> p, std::vector<value> values,
                            callback done, const statement_options& o) {
  std::vector<wire::value> wv;
  execute_request e;
  e.id = p->id;
  e.params = impl_->parameters(o, values, wv);
  e.params.skip_metadata = !p->result.columns.empty();
  byte_writer w(64);
  encode(w, e);
  auto r = impl_->make_request(opcode::execute, std::move(w).take(), std::move(done), o);
  r->prep = std::move(p);
  impl_->acquire();
  impl_->submit(std::move(r));
}

result<result_set> session::execute(std::string_view query, std::vector<value> values,
                                    const statement_options& o) {
  waiter w;
  execute_async(std::string(query), std::move(values), w.callback_fn(), o);
  return w.wait();
}

result<result_set> session::execute(const std::shared_ptr<const prepared>& p,
                                    std::vector<value> values, const statement_options& o) {
  waiter w;
  execute_async(p, std::move(values), w.callback_fn(), o);
  auto out = w.wait();
  // Rows of a statement whose metadata was skipped: put the prepared metadata back.
  if (out && out->kind == result_kind::rows && out->rows.metadata.no_metadata) {
    out->rows.metadata.columns = p->result.columns;
    out->rows.metadata.no_metadata = false;
  }
  return out;
}

result<std::shared_ptr<const prepared>> session::prepare(std::string_view query) {
  prepare_request p;
  p.query = query;
  byte_writer w;
  encode(w, p);
  waiter wt;
  impl_->acquire();
  impl_->submit(impl_->make_request(opcode::prepare, std::move(w).take(), wt.callback_fn(), {}));
  auto out = SLUICE_TRY(wt.wait());
  if (out.kind != result_kind::prepared) {
    return make_error(client_errc::server_error, "PREPARE did not return a prepared statement");
  }
  auto ps = std::make_shared<prepared>();
  ps->id = std::move(out.prepared.id);
  ps->query = std::string(query);
  ps->bound = std::move(out.prepared.bound);
  ps->result = std::move(out.prepared.result);
  return std::shared_ptr<const prepared>(std::move(ps));
}

result<result_set> session::batch(
    std::vector<std::pair<std::shared_ptr<const prepared>, std::vector<value>>> statements,
    batch_type type, const statement_options& o) {
  batch_request b;
  b.type = type;
  b.level = o.level.value_or(impl_->options.level);
  std::vector<std::vector<wire::value>> keep(statements.size());
  for (size_t i = 0; i < statements.size(); ++i) {
    batch_request::statement s;
    s.prepared = true;
    s.id = statements[i].first->id;
    for (const auto& v : statements[i].second) {
      keep[i].push_back(v.unset    ? wire::value{wire::value::unset, {}}
                        : !v.bytes ? wire::value{wire::value::null, {}}
                                   : wire::value{wire::value::set, *v.bytes});
    }
    s.values = keep[i];
    b.statements.push_back(std::move(s));
  }
  if (o.timestamp) {
    b.timestamp = *o.timestamp;
  } else if (impl_->options.client_timestamps) {
    b.timestamp = impl_->timestamp_now();
  }
  byte_writer w;
  encode(w, b);
  waiter wt;
  impl_->acquire();
  impl_->submit(impl_->make_request(opcode::batch, std::move(w).take(), wt.callback_fn(), o));
  return wt.wait();
}

result<void> session::for_each_page(std::string_view query, std::vector<value> values,
                                    const std::function<bool(const result_set&)>& page,
                                    statement_options o) {
  for (;;) {
    auto r = SLUICE_TRY(execute(query, values, o));
    if (!page(r)) return {};
    if (r.kind != result_kind::rows || !r.rows.metadata.paging_state) return {};
    o.paging_state = *r.rows.metadata.paging_state;
  }
}

size_t session::outstanding() const {
  std::lock_guard lock(impl_->mu);
  return impl_->outstanding;
}

size_t session::ready_connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->ready_count;
}

}  // namespace sluice::cql
