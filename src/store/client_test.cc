// sluice's CQL client (cql/client.h) against the store's server, in process on a free loopback
// port: pipelining with bounded in-flight requests, paging, reconnection and re-preparing across
// a restart, authentication, errors and timeouts.
#include "cql/client.h"
#include "cql/values.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "store/server.h"

namespace sluice::store {
namespace {

namespace fs = std::filesystem;
using cql::client_errc;

std::vector<uint8_t> int_bytes(int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  return {static_cast<uint8_t>(u >> 24), static_cast<uint8_t>(u >> 16),
          static_cast<uint8_t>(u >> 8), static_cast<uint8_t>(u)};
}
int32_t int_of(const std::vector<uint8_t>& b) {
  return static_cast<int32_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                              (uint32_t{b[2]} << 8) | b[3]);
}
std::vector<uint8_t> text_bytes(std::string_view s) { return {s.begin(), s.end()}; }

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("sluice-client-{}", std::random_device{}());
    start(0);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }
  void start(uint16_t port, std::vector<std::pair<std::string, std::string>> users = {}) {
    server_options o;
    o.listen = config::host_port{"127.0.0.1", port};
    o.data_dir = dir_;
    o.sync = false;
    o.users = std::move(users);
    server_ = std::make_unique<server>(o);
    auto ok = server_->start();
    ASSERT_TRUE(ok) << ok.error().message;
    address_ = server_->endpoint();
  }
  cql::client_options options() {
    cql::client_options o;
    o.contact_points = {address_};
    o.reconnect_min = std::chrono::milliseconds(20);
    o.reconnect_max = std::chrono::milliseconds(200);
    return o;
  }
  std::unique_ptr<cql::session> connect(cql::client_options o) {
    auto s = cql::session::connect(std::move(o));
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }
  void run(cql::session& s, std::string_view q) {
    auto r = s.execute(q);
    ASSERT_TRUE(r) << q << ": " << r.error().message;
  }

  fs::path dir_;
  std::unique_ptr<server> server_;
  std::string address_;
};

TEST_F(ClientTest, PipelinedPreparedInsertsStayWithinTheirBound) {
  auto o = options();
  o.max_outstanding = 128;
  auto s = connect(o);
  ASSERT_TRUE(s);
  run(*s,
      "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
  run(*s, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)");
  auto insert = s->prepare("INSERT INTO ks.t (k, v) VALUES (?, ?)");
  ASSERT_TRUE(insert) << insert.error().message;
  std::atomic<int> ok{0}, failed{0};
  size_t most = 0;
  for (int i = 0; i < 10'000; ++i) {
    s->execute_async(
        *insert, {cql::value::of(int_bytes(i)), cql::value::of(text_bytes(fmt::format("v{}", i)))},
        [&](result<cql::result_set> r) { (r ? ok : failed)++; });
    most = std::max(most, s->outstanding());
  }
  while (ok + failed < 10'000) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(failed, 0);
  EXPECT_LE(most, 128u);
  auto count = s->execute("SELECT count(*) FROM ks.t");
  ASSERT_TRUE(count);
  EXPECT_EQ(cql::cell_at(*count, 0, 0)->back(), 10'000 % 256);
  auto read = s->prepare("SELECT v FROM ks.t WHERE k = ?");
  ASSERT_TRUE(read);
  auto row = s->execute(*read, {cql::value::of(int_bytes(4321))});
  ASSERT_TRUE(row);
  ASSERT_EQ(row->rows.row_count, 1);
  EXPECT_EQ(*cql::cell_at(*row, 0, 0), text_bytes("v4321"));
  EXPECT_EQ(row->rows.metadata.columns.at(0).name, "v");
}

TEST_F(ClientTest, EveryTypeRoundTrips) {
  auto s = connect(options());
  ASSERT_TRUE(s);
  run(*s,
      "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
  run(*s,
      "CREATE TABLE ks.types (k int PRIMARY KEY, a ascii, bi bigint, b blob, bo boolean, d "
      "decimal, "
      "db double, f float, i inet, si smallint, ti tinyint, tx text, vc varchar, ts timestamp, "
      "dt date, tm time, u uuid, tu timeuuid, vi varint, l list<int>, st set<text>, "
      "m map<text, bigint>)");
  using namespace cql;
  const uuid random_id = *parse_uuid("6ba7b810-9dad-41d1-80b4-00c04fd430c8");
  const uuid time_id = *parse_uuid("5b6962dd-3f90-11ee-9ce4-0242ac120002");
  const std::vector<uint8_t> v6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::vector<value> values = {
      value::of(encode_int(7)),
      value::of(encode_ascii("plain")),
      value::of(encode_bigint(INT64_MIN)),
      value::of(encode_blob(std::vector<uint8_t>{0, 1, 0xfe, 0xff})),
      value::of(encode_boolean(true)),
      value::of(*encode_decimal("-12345678901234567890.0012300")),
      value::of(encode_double(-0.0)),
      value::of(encode_float(3.5f)),
      value::of(*encode_inet(v6)),
      value::of(encode_smallint(-32768)),
      value::of(encode_tinyint(127)),
      value::of(encode_text("naïve ☃")),
      value::of(encode_text("")),
      value::of(encode_timestamp(-86'400'000)),
      value::of(encode_date(-719'162)),
      value::of(encode_time(86'399'999'999'999)),
      value::of(encode_uuid(random_id)),
      value::of(encode_timeuuid(time_id)),
      value::of(*encode_varint("-987654321098765432109876543210")),
      value::of(encode_list({encode_int(3), encode_int(1), encode_int(3)})),
      value::of(encode_set({encode_text("a"), encode_text("b")})),
      value::of(encode_map(
          {{encode_text("x"), encode_bigint(1)}, {encode_text("y"), encode_bigint(-1)}})),
  };
  auto insert = s->prepare(
      "INSERT INTO ks.types (k, a, bi, b, bo, d, db, f, i, si, ti, tx, vc, ts, dt, tm, u, tu, vi, "
      "l, "
      "st, m) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ASSERT_TRUE(insert) << insert.error().message;
  ASSERT_EQ((*insert)->bound.size(), values.size());
  ASSERT_TRUE(s->execute(*insert, values));
  auto back = s->execute(
      "SELECT k, a, bi, b, bo, d, db, f, i, si, ti, tx, vc, ts, dt, tm, u, tu, vi, l, st, m FROM "
      "ks.types WHERE k = 7");
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->rows.row_count, 1);
  for (size_t c = 0; c < values.size(); ++c) {
    EXPECT_EQ(cell_at(*back, 0, c), values[c].bytes) << back->rows.metadata.columns[c].name;
    // What the shell prints is a literal that writes the same value again.
    const auto& type = back->rows.metadata.columns[c].type;
    EXPECT_TRUE(type.validate(*values[c].bytes)) << back->rows.metadata.columns[c].name;
  }
  // Nulls and unset values.
  ASSERT_TRUE(s->execute(*insert, [&] {
    std::vector<value> v(values.size(), value::null());
    v[0] = value::of(encode_int(8));
    v[1] = value::not_set();
    return v;
  }()));
  auto nulls = s->execute("SELECT a, bi, m FROM ks.types WHERE k = 8");
  ASSERT_TRUE(nulls);
  EXPECT_FALSE(cell_at(*nulls, 0, 0));
  EXPECT_FALSE(cell_at(*nulls, 0, 1));
  EXPECT_FALSE(cell_at(*nulls, 0, 2));
}

TEST_F(ClientTest, PagingReturnsEveryRowExactlyOnce) {
  auto s = connect(options());
  ASSERT_TRUE(s);
  run(*s,
      "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
  run(*s, "CREATE TABLE ks.t (p int, c int, PRIMARY KEY (p, c))");
  auto insert = s->prepare("INSERT INTO ks.t (p, c) VALUES (?, ?)");
  ASSERT_TRUE(insert);
  constexpr int rows = 100'000;
  std::atomic<int> done{0}, failed{0};
  for (int i = 0; i < rows; ++i) {
    s->execute_async(*insert, {cql::value::of(int_bytes(i % 1000)), cql::value::of(int_bytes(i))},
                     [&](result<cql::result_set> r) {
                       if (!r) ++failed;
                       ++done;
                     });
  }
  while (done < rows) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(failed, 0);
  std::vector<bool> seen(rows);
  int total = 0, pages = 0;
  cql::statement_options o;
  o.page_size = 5000;
  auto r = s->for_each_page(
      "SELECT c FROM ks.t", {},
      [&](const cql::result_set& page) {
        ++pages;
        for (int32_t i = 0; i < page.rows.row_count; ++i) {
          const int c = int_of(*cql::cell_at(page, static_cast<size_t>(i), 0));
          EXPECT_FALSE(seen[static_cast<size_t>(c)]) << "row " << c << " twice";
          seen[static_cast<size_t>(c)] = true;
          ++total;
        }
        return true;
      },
      o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(total, rows);
  EXPECT_GE(pages, rows / 5000);
}

TEST_F(ClientTest, ReconnectsAndPreparesAgainAfterARestart) {
  auto s = connect(options());
  ASSERT_TRUE(s);
  run(*s,
      "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
  run(*s, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)");
  auto insert = s->prepare("INSERT INTO ks.t (k, v) VALUES (?, ?)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(s->execute(*insert, {cql::value::of(int_bytes(1)), cql::value::of(text_bytes("a"))}));
  const auto port = static_cast<uint16_t>(std::stoi(address_.substr(address_.rfind(':') + 1)));
  server_.reset();
  start(port);
  // The first attempts may meet the closed connection; the session reconnects within its backoff,
  // and the restarted store, which knows no prepared statements, gets this one prepared again.
  result<cql::result_set> again = make_error(client_errc::connection_lost, "not tried");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!again && std::chrono::steady_clock::now() < deadline) {
    again = s->execute(*insert, {cql::value::of(int_bytes(2)), cql::value::of(text_bytes("b"))});
    if (!again) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(again) << again.error().message;
  auto count = s->execute("SELECT count(*) FROM ks.t");
  ASSERT_TRUE(count);
  EXPECT_EQ(cql::cell_at(*count, 0, 0)->back(), 2);
}

TEST_F(ClientTest, ErrorsCarryTheServersCodeAndMessage) {
  auto s = connect(options());
  ASSERT_TRUE(s);
  auto bad = s->execute("SELEC * FROM x");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(is(bad.error(), cql::error_code::syntax_error)) << bad.error().message;
  EXPECT_NE(bad.error().message.find("line 1:"), std::string::npos) << bad.error().message;
  auto missing = s->execute("SELECT * FROM nope.t");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(is(missing.error(), cql::error_code::invalid));
  EXPECT_EQ(missing.error().message, "Keyspace nope does not exist");
  EXPECT_TRUE(s->execute("SELECT key FROM system.local"));  // the session goes on
}

TEST_F(ClientTest, PasswordAuthentication) {
  server_.reset();
  start(0, {{"alice", "secret"}});
  auto o = options();
  o.username = "alice";
  o.password = "wrong";
  auto refused = cql::session::connect(o);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(is(refused.error(), client_errc::auth_failed)) << refused.error().message;
  EXPECT_NE(refused.error().message.find("incorrect"), std::string::npos);
  o.password = "secret";
  auto s = connect(o);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->execute("SELECT key FROM system.local"));
  o.username.clear();
  auto anonymous = cql::session::connect(o);
  ASSERT_FALSE(anonymous);
  EXPECT_TRUE(is(anonymous.error(), client_errc::auth_failed));
}

TEST_F(ClientTest, UnreachableHostsAndTimeouts) {
  // Nobody listens: connect fails with the address and the reason.
  auto o = options();
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  o.contact_points = {fmt::format("127.0.0.1:{}", port)};
  auto none = cql::session::connect(o);
  ASSERT_FALSE(none);
  EXPECT_TRUE(is(none.error(), client_errc::no_host));
  EXPECT_NE(none.error().message.find(fmt::format("127.0.0.1:{}", port)), std::string::npos);

  // A server that says READY and then never answers: requests time out on time.
  ASSERT_EQ(::listen(sock, 4), 0);
  std::atomic<bool> stop{false};
  std::thread silent([&] {
    const int c = ::accept(sock, nullptr, nullptr);
    uint8_t head[9];
    if (::recv(c, head, sizeof head, MSG_WAITALL) == 9) {
      std::vector<uint8_t> body((head[5] << 24) | (head[6] << 16) | (head[7] << 8) | head[8]);
      if (!body.empty()) ::recv(c, body.data(), body.size(), MSG_WAITALL);
      const uint8_t ready[9] = {0x84, 0, head[2], head[3], 0x02, 0, 0, 0, 0};
      ::send(c, ready, sizeof ready, 0);
    }
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ::close(c);
  });
  o.connections_per_host = 1;
  o.request_timeout = std::chrono::milliseconds(300);
  auto s = connect(o);
  ASSERT_TRUE(s);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = s->execute("SELECT key FROM system.local");
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_TRUE(is(r.error(), client_errc::timeout)) << r.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_LT(waited, std::chrono::milliseconds(1500));
  stop = true;
  s.reset();
  silent.join();
  ::close(sock);
}

}  // namespace
}  // namespace sluice::store
