// The PostgreSQL backend over libpq: one PGconn per connection, statements sent with
// PQexecParams (text parameters, text results), SQLSTATEs mapped to metadb's error codes.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>
#include <memory>
#include <string>
#include <utility>

#include "metadb/backends.h"

namespace sluice::metadb::detail {
namespace {

// Type OIDs from PostgreSQL's catalog (pg_type.dat); stable across versions.
constexpr Oid bool_oid = 16;
constexpr Oid int8_oid = 20;
constexpr Oid int2_oid = 21;
constexpr Oid int4_oid = 23;

struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using pg_result = std::unique_ptr<PGresult, result_deleter>;

// NOTICEs (e.g. "relation already exists, skipping") are not for sluice's users.
void ignore_notice(void*, const char*) {}

// libpq's messages end in newlines and may span lines ("ERROR: ...\nDETAIL: ..."): one line.
std::string one_line(std::string_view text) {
  std::string out;
  for (char ch : text) {
    bool blank = ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ';
    if (blank && (out.empty() || out.back() == ' ')) continue;
    out += blank ? ' ' : ch;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Appends key=value to the URI's query unless the URL already sets the key.
std::string with_default(std::string uri, std::string_view key, std::string_view value) {
  if (uri.find(fmt::format("{}=", key)) != std::string::npos) return uri;
  return fmt::format("{}{}{}={}", uri, uri.find('?') == std::string::npos ? '?' : '&', key, value);
}

errc classify(PGconn* conn, const PGresult* res) {
  const char* field = res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_SQLSTATE);
  std::string_view state = field == nullptr ? "" : field;
  if (state == "23505") return errc::conflict;  // unique_violation
  // serialization_failure, deadlock_detected, lock_not_available
  if (state == "40001" || state == "40P01" || state == "55P03") return errc::busy;
  if (PQstatus(conn) != CONNECTION_OK) return errc::unreachable;
  // Class 08 is connection exceptions, 57P0x the server shutting down, except 08P01: a protocol
  // violation such as a wrong number of parameters, after which the connection is fine.
  if ((state.starts_with("08") && state != "08P01") || state.starts_with("57P0")) {
    return errc::unreachable;
  }
  return errc::query_failed;
}

// The server's message and detail on one line, without the LINE/caret excerpt libpq adds.
std::string server_message(PGconn* conn, const PGresult* res) {
  const char* primary = res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  if (primary == nullptr) {
    std::string message = one_line(res == nullptr ? "" : PQresultErrorMessage(res));
    return message.empty() ? one_line(PQerrorMessage(conn)) : message;
  }
  const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
  if (detail == nullptr) return one_line(primary);
  return fmt::format("{} ({})", one_line(primary), one_line(detail));
}

error failure(PGconn* conn, const PGresult* res, std::string_view what) {
  errc code = classify(conn, res);
  std::string_view hint;
  switch (code) {
    case errc::conflict: hint = "the key already exists: "; break;
    case errc::busy: hint = "a lock or serialization conflict, retry: "; break;
    case errc::unreachable: hint = "lost the connection to the server: "; break;
    default: break;
  }
  return make_error(code, fmt::format("{}: {}{}", what, hint, server_message(conn, res))).error();
}

std::string running(std::string_view sql) {
  return fmt::format("running \"{}\"", statement_excerpt(sql));
}

// Integer and boolean columns become int64_t, as SQLite returns them; the rest stays text.
value column_value(const PGresult* res, int r, int c, Oid type) {
  if (PQgetisnull(res, r, c)) return std::monostate{};
  std::string_view text(PQgetvalue(res, r, c), PQgetlength(res, r, c));
  if (type == bool_oid) return int64_t{text == "t" ? 1 : 0};
  if (type == int8_oid || type == int4_oid || type == int2_oid) {
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && ptr == text.data() + text.size()) return n;
  }
  return std::string(text);
}

std::vector<row> read_rows(const PGresult* res) {
  int count = PQntuples(res);
  int fields = PQnfields(res);
  std::vector<row> rows(count);
  for (int r = 0; r < count; ++r) {
    rows[r].columns.reserve(fields);
    for (int c = 0; c < fields; ++c) {
      rows[r].columns.push_back(column_value(res, r, c, PQftype(res, c)));
    }
  }
  return rows;
}

class pg_connection final : public connection {
 public:
  pg_connection(PGconn* conn, std::string target) : conn_(conn), target_(std::move(target)) {}
  ~pg_connection() override { PQfinish(conn_); }

  dialect kind() const override { return dialect::postgresql; }
  std::string describe_target() const override { return target_; }

  result<std::vector<row>> query(std::string_view sql, std::span<const value> params) override {
    std::vector<std::string> integers(params.size());
    std::vector<const char*> texts(params.size(), nullptr);  // nullptr is SQL NULL
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<int64_t>(&params[i])) {
        integers[i] = std::to_string(*n);
        texts[i] = integers[i].c_str();
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        texts[i] = s->c_str();
      }
    }
    pg_result res(PQexecParams(conn_, std::string(sql).c_str(), static_cast<int>(params.size()),
                               nullptr, texts.data(), nullptr, nullptr, /*resultFormat=*/0));
    SLUICE_TRY(check(res.get(), sql));
    return read_rows(res.get());
  }

  result<void> script(std::string_view sql) override {
    pg_result res(PQexec(conn_, std::string(sql).c_str()));
    return check(res.get(), sql);
  }

  // PostgreSQL only warns about BEGIN inside and COMMIT outside a transaction; SQLite refuses
  // both, and so does this backend, so that the dialects agree.
  result<void> begin() override {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) return misuse("BEGIN", "a transaction is open");
    return script("BEGIN");
  }

  result<void> commit() override {
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) {
      return misuse("COMMIT", "no transaction is open");
    }
    // After a failed statement PostgreSQL answers COMMIT with ROLLBACK and no error: say so.
    if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
      rollback();
      return make_error(errc::query_failed,
                        "committing: a statement in the transaction failed, so PostgreSQL "
                        "aborted it; nothing was written");
    }
    pg_result res(PQexec(conn_, "COMMIT"));
    auto committed = check(res.get(), "COMMIT");
    if (!committed) rollback();  // the caller's transaction object no longer will
    return committed;
  }

  // libpq reports the server's transaction state with every answer; no bookkeeping of our own.
  void rollback() override {
    auto state = PQtransactionStatus(conn_);
    if (state == PQTRANS_INTRANS || state == PQTRANS_INERROR) pg_result(PQexec(conn_, "ROLLBACK"));
  }

 private:
  result<void> misuse(std::string_view sql, std::string_view problem) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      return std::unexpected(failure(conn_, nullptr, running(sql)));
    }
    return make_error(errc::query_failed, fmt::format("{}: {}", running(sql), problem));
  }

  result<void> check(const PGresult* res, std::string_view sql) {
    auto status = res == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
      return {};
    }
    return std::unexpected(failure(conn_, res, running(sql)));
  }

  PGconn* conn_;
  std::string target_;
};

}  // namespace

result<std::unique_ptr<connection>> open_postgresql(std::string_view url) {
  std::string target = mask_password(url);
  std::string conninfo = with_default(std::string(url), "connect_timeout", "10");
  conninfo = with_default(std::move(conninfo), "client_encoding", "UTF8");
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string message = one_line(parse_error == nullptr ? "out of memory" : parse_error);
    PQfreemem(parse_error);
    return make_error(errc::bad_url,
                      fmt::format("the metadata database URL \"{}\" is not a valid PostgreSQL "
                                  "URI: {}",
                                  target, message));
  }
  PQconninfoFree(parsed);
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) {
    return make_error(
        errc::unreachable,
        fmt::format("cannot connect to the metadata database {}: out of memory", target));
  }
  auto c = std::make_unique<pg_connection>(conn, target);  // owns conn from here
  if (PQstatus(conn) != CONNECTION_OK) {
    return make_error(errc::unreachable,
                      fmt::format("cannot connect to the metadata database {}: {}", target,
                                  one_line(PQerrorMessage(conn))));
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  auto setup = c->script("SET client_min_messages = warning");
  if (!setup) {
    return make_error(errc::unreachable,
                      fmt::format("cannot set up the connection to the metadata database {}: {}",
                                  target, setup.error().message));
  }
  return c;
}

}  // namespace sluice::metadb::detail
