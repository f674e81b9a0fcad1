// The store's network side: accept loop, one reader coroutine per connection, a writer per
// connection, and the group committer.
#include "store/server.h"

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "base/file.h"
#include "base/log.h"
#include "base/thread_name.h"
#include "cql/compression.h"
#include "cql/frame.h"
#include "cql/messages.h"
#include "net/net.h"
#include "parser/lexer.h"
#include "store/engine.h"
#include "store/exec.h"
#include "store/literals.h"

namespace sluice::store {

using asio::ip::tcp;
constexpr auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);

namespace {

// Writes from many requests committed together: one key-value write (one fsync) per round.
class committer {
 public:
  using done_fn = std::function<void(const result<void>&)>;

  // `deliver` runs on the committer's thread with one round's callbacks and its result; it hands
  // them to the thread that runs them (one hand-over per round, not per request).
  using deliver_fn = std::function<void(std::vector<done_fn>, result<void>)>;

  committer(engine& e, deliver_fn deliver)
      : engine_(e), deliver_(std::move(deliver)), thread_([this] {
          name_this_thread("store-commit");
          loop();
        }) {}
  ~committer() { stop(); }

  void submit(std::vector<kv_change> changes, done_fn done) {
    pending_.fetch_add(1);
    {
      std::lock_guard lock(mu_);
      queue_.push_back({std::move(changes), std::move(done)});
    }
    cv_.notify_one();
  }
  [[nodiscard]] size_t pending() const { return pending_.load(); }

  // Commits what is queued, then returns.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct job {
    std::vector<kv_change> changes;
    done_fn done;
  };

  void loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      std::vector<job> jobs = std::move(queue_);
      queue_.clear();
      lock.unlock();
      std::vector<kv_change> all;
      if (jobs.size() == 1) {
        all = std::move(jobs[0].changes);
      } else {
        size_t n = 0;
        for (const auto& j : jobs) n += j.changes.size();
        all.reserve(n);
        for (auto& j : jobs) std::move(j.changes.begin(), j.changes.end(), std::back_inserter(all));
      }
      const result<void> r = engine_.commit(all);
      pending_.fetch_sub(jobs.size());
      std::vector<done_fn> dones;
      dones.reserve(jobs.size());
      for (auto& j : jobs) dones.push_back(std::move(j.done));
      deliver_(std::move(dones), r);
      lock.lock();
    }
  }

  engine& engine_;
  deliver_fn deliver_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<job> queue_;
  std::atomic<size_t> pending_{0};
  bool stopping_ = false;
  std::thread thread_;
};

struct connection {
  explicit connection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  std::string peer;
  bool started = false;        // STARTUP received
  bool authenticated = false;  // logged in, or no login needed
  bool lz4 = false;
  bool events = false;  // REGISTERed for SCHEMA_CHANGE
  session sess;
  net::outbox outbox;  // answers not yet written to the socket
};

// Answers a connection may leave unread before the store stops reading its requests.
constexpr size_t max_unsent_bytes = 16 << 20;

std::string peer_name(const tcp::socket& s) {
  std::error_code ec;
  auto ep = s.remote_endpoint(ec);
  return ec ? "unknown peer" : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// A statement id: a 128-bit hash of the keyspace and the query (FNV-1a, twice, differently
// seeded).
std::vector<uint8_t> statement_id(std::string_view keyspace, std::string_view query) {
  std::vector<uint8_t> id(16);
  uint64_t seeds[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
  for (int half = 0; half < 2; ++half) {
    uint64_t h = seeds[half];
    auto mix = [&](std::string_view s) {
      for (char ch : s) {
        h ^= static_cast<uint8_t>(ch);
        h *= 0x100000001b3ULL;
      }
    };
    mix(keyspace);
    mix(std::string_view("\0", 1));
    mix(query);
    for (int i = 0; i < 8; ++i) id[half * 8 + i] = static_cast<uint8_t>(h >> (8 * (7 - i)));
  }
  return id;
}

// Every failure mapped to the CQL error a driver turns into the right exception.
cql::error_response to_error(const error& e) {
  cql::error_response r;
  r.message = e.message;
  if (is(e, parser::errc::syntax)) {
    r.code = cql::error_code::syntax_error;
  } else if (is(e, parser::errc::invalid) || is(e, errc::invalid) ||
             is(e, cql::errc::invalid_value) || is(e, cql::errc::invalid_type)) {
    r.code = cql::error_code::invalid;
  } else if (is(e, errc::already_exists)) {
    r.code = cql::error_code::already_exists;
  } else if (is(e, cql::errc::malformed) || is(e, cql::errc::unknown_opcode) ||
             is(e, cql::errc::unsupported_version) || is(e, cql::errc::frame_too_large)) {
    r.code = cql::error_code::protocol_error;
  } else {
    r.code = cql::error_code::server_error;
  }
  return r;
}

// ALREADY_EXISTS names what exists: taken from the statement.
void name_existing(cql::error_response& r, const parser::statement& st, const session& s) {
  if (const auto* k = std::get_if<parser::create_keyspace>(&st.body)) {
    r.keyspace = k->name;
  } else if (const auto* t = std::get_if<parser::create_table>(&st.body)) {
    r.keyspace = t->table.keyspace.empty() ? s.keyspace : t->table.keyspace;
    r.table = t->table.name;
  }
}

std::string opcode_name(cql::opcode op) {
  switch (op) {
    case cql::opcode::error: return "ERROR";
    case cql::opcode::startup: return "STARTUP";
    case cql::opcode::ready: return "READY";
    case cql::opcode::authenticate: return "AUTHENTICATE";
    case cql::opcode::options: return "OPTIONS";
    case cql::opcode::supported: return "SUPPORTED";
    case cql::opcode::query: return "QUERY";
    case cql::opcode::result: return "RESULT";
    case cql::opcode::prepare: return "PREPARE";
    case cql::opcode::execute: return "EXECUTE";
    case cql::opcode::register_: return "REGISTER";
    case cql::opcode::event: return "EVENT";
    case cql::opcode::batch: return "BATCH";
    case cql::opcode::auth_challenge: return "AUTH_CHALLENGE";
    case cql::opcode::auth_response: return "AUTH_RESPONSE";
    case cql::opcode::auth_success: return "AUTH_SUCCESS";
  }
  return "UNKNOWN";
}

result<std::array<uint8_t, 16>> load_or_create_host_id(const std::filesystem::path& dir) {
  const auto path = dir / "host-id";
  std::array<uint8_t, 16> id{};
  std::ifstream in(path, std::ios::binary);
  if (in) {
    in.read(reinterpret_cast<char*>(id.data()), id.size());
    if (in.gcount() == static_cast<std::streamsize>(id.size())) return id;
  }
  const auto fresh = new_uuid(false);
  std::copy(fresh.begin(), fresh.end(), id.begin());
  SLUICE_TRY(write_file_atomically(
      path, std::string_view(reinterpret_cast<const char*>(id.data()), id.size())));
  return id;
}

}  // namespace

struct server::impl {
  explicit impl(server_options o) : options(std::move(o)) {}

  server_options options;
  std::unique_ptr<engine> eng;
  std::unique_ptr<committer> commits;
  // Prepared statements by id, with their order of arrival for eviction.
  std::unordered_map<std::string, std::shared_ptr<const prepared_statement>> prepared;
  std::deque<std::string> prepared_order;
  std::unordered_set<std::shared_ptr<connection>> connections;
  std::unordered_set<asio::steady_timer*> waiting;  // readers waiting for the committer
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::string bound;
  bool running = false;

  [[gnu::noinline]] asio::awaitable<void> accept_loop();
  [[gnu::noinline]] asio::awaitable<void> serve(std::shared_ptr<connection> c);
  [[gnu::noinline]] asio::awaitable<void> handle(std::shared_ptr<connection> c,
                                                 const cql::frame_header& h, bytes_view body);
  [[gnu::noinline]] asio::awaitable<void> run(std::shared_ptr<connection> c, int16_t stream,
                                              std::shared_ptr<const prepared_statement> p,
                                              const cql::query_parameters& params);
  [[gnu::noinline]] asio::awaitable<void> wait_for_commits(size_t below);
  [[gnu::noinline]] asio::awaitable<void> write_loop(std::shared_ptr<connection> c);
  // Until what was sent to `c` has left (before closing it), at most a second.
  [[gnu::noinline]] asio::awaitable<void> wait_for_flush(std::shared_ptr<connection> c);

  void send(const std::shared_ptr<connection>& c, int16_t stream, cql::opcode op, bytes_view body,
            bool may_compress = true);
  void send_error(const std::shared_ptr<connection>& c, int16_t stream,
                  const cql::error_response& e) {
    byte_writer w;
    cql::encode(w, e);
    send(c, stream, cql::opcode::error, w.view());
  }
  void send_result(const std::shared_ptr<connection>& c, int16_t stream,
                   const cql::result_response& r) {
    byte_writer w(256);
    cql::encode(w, r);
    send(c, stream, cql::opcode::result, w.view());
  }
  // Answers a request's outcome: at once, or once its writes are committed.
  void finish(const std::shared_ptr<connection>& c, int16_t stream, result<outcome> out,
              const parser::statement* st);
  void announce(const cql::schema_change& change);
  void wake_waiters() {
    for (auto* t : waiting) t->cancel();
  }
  std::shared_ptr<const prepared_statement> find_prepared(bytes_view id) const {
    auto it = prepared.find(std::string(as_string_view(id)));
    return it == prepared.end() ? nullptr : it->second;
  }
  void remember(const std::vector<uint8_t>& id, std::shared_ptr<const prepared_statement> p) {
    std::string key(as_string_view(id));
    if (prepared.emplace(key, std::move(p)).second) prepared_order.push_back(key);
    while (prepared.size() > options.max_prepared && !prepared_order.empty()) {
      prepared.erase(prepared_order.front());
      prepared_order.pop_front();
    }
  }
  result<std::vector<cql::wire::value>> bind(const prepared_statement& p,
                                             const cql::query_parameters& params) const;
};

void server::impl::send(const std::shared_ptr<connection>& c, int16_t stream, cql::opcode op,
                        bytes_view body, bool may_compress) {
  std::vector<uint8_t> compressed;
  cql::frame_header h;
  h.response = true;
  h.stream = stream;
  h.op = op;
  if (c->lz4 && may_compress && body.size() >= 256) {
    compressed = cql::lz4_compress(body);
    body = compressed;
    h.flags |= cql::flags::compression;
  }
  h.length = static_cast<int32_t>(body.size());
  byte_writer w(cql::header_size + body.size());
  cql::write_header(w, h);
  w.write_bytes(body);
  c->outbox.push(std::move(w).take());
  if (!c->outbox.writing) {
    c->outbox.writing = true;
    asio::co_spawn(io, write_loop(c), asio::detached);
  }
}

asio::awaitable<void> server::impl::write_loop(std::shared_ptr<connection> c) {
  if (co_await net::drain(c->socket, c->outbox)) {
    std::error_code ignored;
    c->socket.close(ignored);
  }
}

asio::awaitable<void> server::impl::wait_for_commits(size_t below) {
  while (commits->pending() >= below) {
    asio::steady_timer t(io, std::chrono::milliseconds(50));
    waiting.insert(&t);
    co_await t.async_wait(as_tuple);
    waiting.erase(&t);
  }
}

void server::impl::announce(const cql::schema_change& change) {
  byte_writer w;
  cql::encode_schema_event(w, change);
  for (const auto& c : connections) {
    if (c->events) send(c, -1, cql::opcode::event, w.view());
  }
  // Prepared statements of a changed table may describe it wrongly now: drivers re-prepare.
  if (change.change != "CREATED") {
    prepared.clear();
    prepared_order.clear();
  }
}

void server::impl::finish(const std::shared_ptr<connection>& c, int16_t stream, result<outcome> out,
                          const parser::statement* st) {
  if (!out) {
    cql::error_response e = to_error(out.error());
    if (st && e.code == cql::error_code::already_exists) name_existing(e, *st, c->sess);
    send_error(c, stream, e);
    return;
  }
  if (out->schema_event) announce(*out->schema_event);
  if (out->changes.empty()) {
    send_result(c, stream, out->response);
    return;
  }
  auto response = std::make_shared<cql::result_response>(std::move(out->response));
  // Runs on the network thread once the round that holds these changes is committed.
  commits->submit(std::move(out->changes), [this, c, stream, response](const result<void>& r) {
    if (r) {
      send_result(c, stream, *response);
    } else {
      log::get("store")->error("write failed: {}", r.error().message);
      send_error(c, stream,
                 cql::error_response{cql::error_code::server_error,
                                     "the write could not be made durable: " + r.error().message});
    }
  });
}

result<std::vector<cql::wire::value>> server::impl::bind(
    const prepared_statement& p, const cql::query_parameters& params) const {
  if (params.names.empty()) return params.values;
  std::vector<cql::wire::value> out(p.bound.size(), cql::wire::value{cql::wire::value::unset, {}});
  for (size_t i = 0; i < params.names.size() && i < params.values.size(); ++i) {
    const std::string name = lower(params.names[i]);
    bool found = false;
    for (size_t j = 0; j < p.bound.size(); ++j) {
      if (p.stmt.bind_names[j] == name || p.stmt.bind_names[j] == params.names[i]) {
        out[j] = params.values[i];
        found = true;
      }
    }
    if (!found)
      return invalid(fmt::format("No bind marker named {} in the statement", params.names[i]));
  }
  return out;
}

asio::awaitable<void> server::impl::handle(std::shared_ptr<connection> c,
                                           const cql::frame_header& h, bytes_view body) {
  using op = cql::opcode;
  const int16_t stream = h.stream;
  auto protocol_error = [&](std::string message) {
    send_error(c, stream, cql::error_response{cql::error_code::protocol_error, std::move(message)});
  };
  auto malformed = [&](const error& e) {
    protocol_error(fmt::format("malformed {} message: {}", opcode_name(h.op), e.message));
  };

  switch (h.op) {
    case op::options: {
      cql::supported_response s;
      s.options = {
          {"CQL_VERSION", {"3.4.5"}}, {"COMPRESSION", {"lz4"}}, {"PROTOCOL_VERSIONS", {"4/v4"}}};
      byte_writer w;
      cql::encode(w, s);
      send(c, stream, op::supported, w.view(), false);
      co_return;
    }
    case op::startup: {
      auto m = cql::decode_startup(body);
      if (!m) co_return malformed(m.error());
      for (const auto& [k, v] : m->options) {
        if (k == "COMPRESSION") {
          if (lower(v) != "lz4")
            co_return protocol_error(fmt::format("Unknown compression algorithm: {}", v));
          c->lz4 = true;
        }
      }
      c->started = true;
      if (options.users.empty()) {
        c->authenticated = true;
        send(c, stream, op::ready, {}, false);
      } else {
        byte_writer w;
        cql::encode(w,
                    cql::authenticate_response{"org.apache.cassandra.auth.PasswordAuthenticator"});
        send(c, stream, op::authenticate, w.view(), false);
      }
      co_return;
    }
    case op::auth_response: {
      if (!c->started || options.users.empty()) {
        co_return protocol_error("Unexpected AUTH_RESPONSE: no authentication was asked for");
      }
      auto m = cql::decode_auth_response(body);
      if (!m) co_return malformed(m.error());
      // SASL PLAIN: [authzid] \0 user \0 password
      const std::string token = m->token ? std::string(as_string_view(*m->token)) : std::string();
      const auto second = token.rfind('\0');
      const auto first = second == std::string::npos || second == 0 ? std::string::npos
                                                                    : token.rfind('\0', second - 1);
      std::string user, password;
      if (second != std::string::npos) {
        user = token.substr(first == std::string::npos ? 0 : first + 1,
                            second - (first == std::string::npos ? 0 : first + 1));
        password = token.substr(second + 1);
      }
      const bool ok = std::ranges::any_of(
          options.users, [&](const auto& u) { return u.first == user && u.second == password; });
      if (!ok) {
        log::get("store")->warn("failed login from {} as '{}'", c->peer, user);
        send_error(c, stream,
                   cql::error_response{
                       cql::error_code::bad_credentials,
                       fmt::format("Provided username {} and/or password are incorrect", user)});
        co_return;
      }
      c->authenticated = true;
      byte_writer w;
      w.write_i32(-1);  // no final token
      send(c, stream, op::auth_success, w.view(), false);
      co_return;
    }
    case op::register_: {
      if (!c->authenticated)
        co_return protocol_error("Unexpected message REGISTER, expecting STARTUP or OPTIONS");
      auto m = cql::decode_register(body);
      if (!m) co_return malformed(m.error());
      for (const auto& e : m->events) {
        if (e == "SCHEMA_CHANGE") c->events = true;
      }
      send(c, stream, op::ready, {}, false);
      co_return;
    }
    case op::query:
    case op::prepare:
    case op::execute:
    case op::batch: break;
    default:
      co_return protocol_error(
          fmt::format("Unexpected message {}: it is not a request", opcode_name(h.op)));
  }
  if (!c->started) {
    co_return protocol_error(
        fmt::format("Unexpected message {}, expecting STARTUP or OPTIONS", opcode_name(h.op)));
  }
  if (!c->authenticated) {
    co_return send_error(
        c, stream, cql::error_response{cql::error_code::unauthorized, "You have not logged in"});
  }

  if (h.op == op::query) {
    auto m = cql::decode_query(body);
    if (!m) co_return malformed(m.error());
    auto p = eng->prepare(m->query, c->sess);
    if (!p) co_return finish(c, stream, std::unexpected(p.error()), nullptr);
    co_await run(c, stream, *p, m->params);
  } else if (h.op == op::prepare) {
    auto m = cql::decode_prepare(body);
    if (!m) co_return malformed(m.error());
    auto p = eng->prepare(m->query, c->sess);
    if (!p) co_return finish(c, stream, std::unexpected(p.error()), nullptr);
    if (std::holds_alternative<parser::batch>((*p)->stmt.body)) {
      co_return finish(c, stream,
                       invalid("BATCH statements cannot be prepared; prepare each statement and "
                               "send them in a BATCH message"),
                       nullptr);
    }
    cql::result_response r;
    r.kind = cql::result_kind::prepared;
    r.prepared.id = statement_id(c->sess.keyspace, m->query);
    r.prepared.bound = (*p)->bound;
    r.prepared.partition_key_indexes = (*p)->partition_key_indexes;
    r.prepared.result.columns = (*p)->result_columns;
    remember(r.prepared.id, *p);
    send_result(c, stream, r);
  } else if (h.op == op::execute) {
    auto m = cql::decode_execute(body);
    if (!m) co_return malformed(m.error());
    auto p = find_prepared(m->id);
    if (!p) {
      cql::error_response e{
          cql::error_code::unprepared,
          "Prepared query with ID " + fmt::format("{:02x}", fmt::join(m->id, "")) +
              " not found (either the query was not prepared on this host (maybe "
              "the host has been restarted?) or you have prepared too many queries "
              "and it has been evicted from the internal cache)"};
      e.unprepared_id.assign(m->id.begin(), m->id.end());
      co_return send_error(c, stream, e);
    }
    co_await run(c, stream, p, m->params);
  } else {
    auto m = cql::decode_batch(body);
    if (!m) co_return malformed(m.error());
    if (m->type == cql::batch_type::counter) {
      co_return finish(c, stream, invalid("Counter batches are not supported"), nullptr);
    }
    std::vector<std::shared_ptr<const prepared_statement>> keep;
    std::vector<std::pair<const prepared_statement*, std::span<const cql::wire::value>>> items;
    for (const auto& s : m->statements) {
      std::shared_ptr<const prepared_statement> p;
      if (s.prepared) {
        p = find_prepared(s.id);
        if (!p) {
          cql::error_response e{cql::error_code::unprepared,
                                "Prepared statement of the BATCH not found"};
          e.unprepared_id.assign(s.id.begin(), s.id.end());
          co_return send_error(c, stream, e);
        }
      } else {
        auto q = eng->prepare(s.query, c->sess);
        if (!q) co_return finish(c, stream, std::unexpected(q.error()), nullptr);
        p = *q;
      }
      keep.push_back(p);
      items.emplace_back(p.get(), s.values);
    }
    execution how;
    how.timestamp = m->timestamp;
    finish(c, stream, eng->execute_batch(items, c->sess, how), nullptr);
  }
}

asio::awaitable<void> server::impl::run(std::shared_ptr<connection> c, int16_t stream,
                                        std::shared_ptr<const prepared_statement> p,
                                        const cql::query_parameters& params) {
  auto values = bind(*p, params);
  if (!values) co_return finish(c, stream, std::unexpected(values.error()), &p->stmt);
  execution how;
  how.page_size = params.page_size;
  how.paging_state = params.paging_state;
  how.timestamp = params.timestamp;
  how.skip_metadata = params.skip_metadata;
  // A conditional write reads before it writes: earlier writes must be on disk first.
  if (p->conditional) co_await wait_for_commits(1);
  finish(c, stream, eng->execute(*p, c->sess, *values, how), &p->stmt);
}

asio::awaitable<void> server::impl::serve(std::shared_ptr<connection> c) {
  auto lg = log::get("store");
  c->peer = peer_name(c->socket);
  lg->debug("connection from {}", c->peer);
  net::reader in;
  try {
    for (;;) {
      if (auto ec = co_await in.fill(c->socket, cql::header_size)) throw std::system_error(ec);
      uint8_t head[cql::header_size];
      std::memcpy(head, in.peek(cql::header_size).data(), cql::header_size);
      in.consume(cql::header_size);
      const bytes_view raw(head, sizeof head);
      const int16_t stream = cql::stream_of(raw);
      const int32_t length =
          static_cast<int32_t>((uint32_t{head[5]} << 24) | (uint32_t{head[6]} << 16) |
                               (uint32_t{head[7]} << 8) | head[8]);
      auto h = cql::parse_header(raw, options.max_frame_bytes);
      if (!h) {
        const cql::error_response e{cql::error_code::protocol_error, h.error().message};
        if (is(h.error(), cql::errc::frame_too_large) || length < 0 ||
            length > options.max_frame_bytes) {
          lg->warn("closing {}: {}", c->peer, h.error().message);
          send_error(c, stream,
                     cql::error_response{cql::error_code::protocol_error,
                                         fmt::format("Request is too big: {}", h.error().message)});
          co_await wait_for_flush(c);
          break;
        }
        // The body is read and dropped, so that the connection stays in step.
        if (auto ec = co_await in.fill(c->socket, static_cast<size_t>(length))) {
          throw std::system_error(ec);
        }
        in.consume(static_cast<size_t>(length));
        if (is(h.error(), cql::errc::unsupported_version)) {
          // Drivers downgrade on this message; the connection stays open.
          send_error(c, stream, e);
        } else {
          lg->debug("{}: {}", c->peer, h.error().message);
          send_error(c, stream, e);
        }
        continue;
      }
      const auto length_read = static_cast<size_t>(h->length);
      if (auto ec = co_await in.fill(c->socket, length_read)) throw std::system_error(ec);
      // A view of the buffered body: valid until the next fill, after this request is handled.
      const bytes_view body = in.peek(length_read);
      struct consume_body {
        net::reader& r;
        size_t n;
        ~consume_body() { r.consume(n); }
      } consumed{in, length_read};
      if (h->response) {
        send_error(c, stream,
                   cql::error_response{cql::error_code::protocol_error,
                                       "a response frame was sent as a request"});
        continue;
      }
      bytes_view message = body;
      std::vector<uint8_t> plain;
      if (h->flags & cql::flags::compression) {
        if (!c->lz4) {
          send_error(c, stream,
                     cql::error_response{cql::error_code::protocol_error,
                                         "compressed frame but no compression was "
                                         "negotiated in STARTUP"});
          continue;
        }
        auto d = cql::lz4_decompress(body, static_cast<size_t>(options.max_frame_bytes));
        if (!d) {
          send_error(c, stream, to_error(d.error()));
          continue;
        }
        plain = std::move(*d);
        message = plain;
      }
      if (h->flags & cql::flags::custom_payload) {
        // [bytes map] before the message: skipped, sluice uses no custom payloads.
        byte_reader r(message);
        auto n = r.read_u16();
        bool ok = n.has_value();
        for (uint16_t i = 0; ok && i < *n; ++i) {
          ok = cql::wire::read_string(r).has_value() && cql::wire::read_bytes(r).has_value();
        }
        if (!ok) {
          send_error(
              c, stream,
              cql::error_response{cql::error_code::protocol_error, "malformed custom payload"});
          continue;
        }
        message = message.subspan(message.size() - r.remaining());
      }
      try {
        co_await handle(c, *h, message);
      } catch (const std::system_error&) {
        throw;
      } catch (const std::exception& e) {
        // A bug or an allocation failure in one request: that request fails, the store goes on.
        lg->error("request from {} failed: {}", c->peer, e.what());
        send_error(c, stream,
                   cql::error_response{cql::error_code::server_error,
                                       fmt::format("internal error: {}", e.what())});
      }
      // Back-pressure: stop reading while too many writes wait for the disk, or while the client
      // leaves too many answers unread.
      co_await wait_for_commits(options.max_pending_writes);
      while (c->outbox.bytes > max_unsent_bytes && c->socket.is_open()) {
        asio::steady_timer t(io, std::chrono::milliseconds(5));
        co_await t.async_wait(as_tuple);
      }
    }
  } catch (const std::system_error& e) {
    lg->debug("connection from {} ended: {}", c->peer, e.code().message());
  }
  std::error_code ignored;
  c->socket.close(ignored);
  connections.erase(c);
}

asio::awaitable<void> server::impl::wait_for_flush(std::shared_ptr<connection> c) {
  for (int i = 0; i < 100 && c->outbox.writing; ++i) {
    asio::steady_timer t(io, std::chrono::milliseconds(10));
    co_await t.async_wait(as_tuple);
  }
}

asio::awaitable<void> server::impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(as_tuple);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      log::get("store")->warn("accept failed: {}", ec.message());
      asio::steady_timer pause(io, std::chrono::milliseconds(100));
      co_await pause.async_wait(as_tuple);
      continue;
    }
    std::error_code opt_ec;
    socket.set_option(tcp::no_delay(true), opt_ec);
    auto c = std::make_shared<connection>(std::move(socket));
    connections.insert(c);
    asio::co_spawn(io, serve(std::move(c)), asio::detached);
  }
}

server::server(server_options options) : impl_(std::make_unique<impl>(std::move(options))) {}

server::~server() { stop(); }

std::string server::endpoint() const { return impl_->bound; }

result<void> server::start() {
  impl& m = *impl_;
  if (m.running) return make_error(sluice::errc::already_started, "store already running");
  std::error_code ec;
  std::filesystem::create_directories(m.options.data_dir, ec);
  if (ec) {
    return make_error(errc::storage, fmt::format("cannot create {}: {}",
                                                 m.options.data_dir.string(), ec.message()));
  }
  auto listening = net::listen(m.acceptor, m.options.listen);
  if (!listening) return std::unexpected(std::move(listening).error());
  const tcp::endpoint ep = *listening;
  const uint16_t port = m.acceptor.local_endpoint().port();
  m.bound = config::host_port{m.options.listen.host, port}.to_string();

  engine_options eo;
  eo.dir = m.options.data_dir / "db";
  eo.sync = m.options.sync;
  eo.block_cache_bytes = m.options.cache_bytes;
  eo.compression = m.options.compression;
  eo.node.compression = m.options.compression;
  eo.node.cluster_name = m.options.cluster_name;
  eo.node.address = ep.address().is_unspecified() ? "127.0.0.1" : ep.address().to_string();
  eo.node.port = port;
  auto host_id = load_or_create_host_id(m.options.data_dir);
  if (!host_id) {
    m.acceptor.close();
    return std::unexpected(std::move(host_id).error());
  }
  eo.node.host_id = *host_id;
  auto e = engine::open(std::move(eo));
  if (!e) {
    m.acceptor.close();
    return std::unexpected(std::move(e).error());
  }
  m.eng = std::move(*e);
  m.commits = std::make_unique<committer>(
      *m.eng, [&m](std::vector<committer::done_fn> dones, result<void> r) {
        asio::post(m.io, [&m, dones = std::move(dones), r = std::move(r)] {
          for (const auto& d : dones) d(r);
          m.wake_waiters();
        });
      });
  asio::co_spawn(m.io, m.accept_loop(), asio::detached);
  m.thread = std::thread([&m] {
    name_this_thread("store");
    m.io.run();
  });
  m.running = true;
  log::get("store")->info("serving CQL on {} (data in {}, commitlog_sync {})", m.bound,
                          m.options.data_dir.string(), m.options.sync ? "batch" : "periodic");
  return {};
}

void server::stop() {
  impl& m = *impl_;
  if (!m.running) return;
  asio::post(m.io, [&m] {
    std::error_code ec;
    m.acceptor.close(ec);
    for (const auto& c : m.connections) c->socket.close(ec);
    m.io.stop();
  });
  m.thread.join();
  m.running = false;
  // Writes already queued reach the disk before the engine closes.
  m.commits->stop();
  m.connections.clear();
  m.commits.reset();
  m.eng.reset();
  log::get("store")->info("stopped");
}

}  // namespace sluice::store
