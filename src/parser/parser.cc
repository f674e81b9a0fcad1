#include "parser/parser.h"

#include <fmt/format.h>

#include "parser/lexer.h"

namespace sluice::parser {
namespace {

class parser {
 public:
  explicit parser(std::vector<token> tokens) : t_(std::move(tokens)) {}

  result<statement> run() {
    statement s = SLUICE_TRY(one_statement());
    accept_symbol(";");
    if (peek().kind != token_kind::end) return unexpected("the end of the statement");
    s.bind_count = static_cast<int>(bind_names_.size());
    s.bind_names = std::move(bind_names_);
    return s;
  }

 private:
  // --- tokens ---------------------------------------------------------------------------------
  const token& peek(size_t ahead = 0) const { return t_[std::min(pos_ + ahead, t_.size() - 1)]; }
  const token& take() { return t_[std::min(pos_++, t_.size() - 1)]; }

  static std::string shown(const token& t) {
    switch (t.kind) {
      case token_kind::end: return "the end of the statement";
      case token_kind::string: return fmt::format("'{}'", t.text);
      default: return fmt::format("'{}'", t.text);
    }
  }

  std::unexpected<error> unexpected(std::string_view expected) const {
    const token& t = peek();
    return make_error(errc::syntax, fmt::format("line {}:{} expected {}, found {}", t.line,
                                                t.column, expected, shown(t)));
  }

  bool accept_keyword(std::string_view k) {
    if (!peek().is_keyword(k)) return false;
    ++pos_;
    return true;
  }
  bool accept_symbol(std::string_view s) {
    if (!peek().is_symbol(s)) return false;
    ++pos_;
    return true;
  }
  result<void> keyword(std::string_view k) {
    if (!accept_keyword(k)) return unexpected(fmt::format("{}", upper(k)));
    return {};
  }
  result<void> symbol(std::string_view s) {
    if (!accept_symbol(s)) return unexpected(fmt::format("'{}'", s));
    return {};
  }
  static std::string upper(std::string_view k) {
    std::string out(k);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  }

  result<std::string> identifier(std::string_view what = "a name") {
    if (peek().kind != token_kind::identifier) return unexpected(what);
    return take().text;
  }

  result<qualified_name> table_name() {
    qualified_name q;
    q.name = SLUICE_TRY(identifier("a table name"));
    if (accept_symbol(".")) {
      q.keyspace = std::move(q.name);
      q.name = SLUICE_TRY(identifier("a table name"));
    }
    return q;
  }

  result<bool> if_not_exists() {
    if (!accept_keyword("if")) return false;
    SLUICE_TRY(keyword("not"));
    SLUICE_TRY(keyword("exists"));
    return true;
  }
  result<bool> if_exists() {
    if (!accept_keyword("if")) return false;
    SLUICE_TRY(keyword("exists"));
    return true;
  }

  // --- terms ----------------------------------------------------------------------------------
  // Collections and function calls nest; a bound on the depth keeps hostile text from exhausting
  // the stack.
  static constexpr int max_depth = 32;

  // Runs `fn` one nesting level deeper, or refuses when the text nests too deep.
  template <class Fn>
  auto nested(std::string_view what, Fn fn) -> decltype(fn()) {
    if (depth_ >= max_depth) {
      return make_error(errc::syntax, fmt::format("line {}:{} {} nest deeper than {} levels",
                                                  peek().line, peek().column, what, max_depth));
    }
    ++depth_;
    auto r = fn();
    --depth_;
    return r;
  }

  result<term> parse_term() {
    return nested("values", [this] { return parse_term_inner(); });
  }

  result<term> parse_term_inner() {
    const token& t = peek();
    term out;
    switch (t.kind) {
      case token_kind::string: out.what = term::kind::string; break;
      case token_kind::integer: out.what = term::kind::integer; break;
      case token_kind::floating: out.what = term::kind::floating; break;
      case token_kind::uuid: out.what = term::kind::uuid; break;
      case token_kind::blob: out.what = term::kind::blob; break;
      case token_kind::bind:
      case token_kind::named_bind:
        out.what = term::kind::bind;
        out.bind_index = static_cast<int>(bind_names_.size());
        bind_names_.push_back(t.kind == token_kind::named_bind ? t.text : "");
        out.text = t.text;
        ++pos_;
        return out;
      case token_kind::identifier:
        if (t.is_keyword("true") || t.is_keyword("false")) {
          out.what = term::kind::boolean;
          break;
        }
        if (t.is_keyword("null")) {
          ++pos_;
          return out;
        }
        if (peek(1).is_symbol("(")) return function_term();
        return unexpected("a value");
      case token_kind::symbol:
        if (t.is_symbol("[")) return collection("[", "]", term::kind::list);
        if (t.is_symbol("{")) return brace_collection();
        if (t.is_symbol("-") && (peek(1).kind == token_kind::floating)) {
          ++pos_;
          out.what = term::kind::floating;
          out.text = "-" + take().text;
          return out;
        }
        return unexpected("a value");
      case token_kind::end: return unexpected("a value");
    }
    out.text = take().text;
    return out;
  }

  result<term> function_term() {
    term f;
    f.what = term::kind::function;
    f.text = take().text;
    SLUICE_TRY(symbol("("));
    if (!accept_symbol(")")) {
      do {
        f.items.push_back(SLUICE_TRY(parse_term()));
      } while (accept_symbol(","));
      SLUICE_TRY(symbol(")"));
    }
    return f;
  }

  result<term> collection(std::string_view open, std::string_view close, term::kind k) {
    SLUICE_TRY(symbol(open));
    term c;
    c.what = k;
    if (accept_symbol(close)) return c;
    do {
      c.items.push_back(SLUICE_TRY(parse_term()));
    } while (accept_symbol(","));
    SLUICE_TRY(symbol(close));
    return c;
  }

  // {} is an empty map (or set: the column's type decides), {a, b} a set, {k: v} a map.
  result<term> brace_collection() {
    SLUICE_TRY(symbol("{"));
    term c;
    c.what = term::kind::map;
    if (accept_symbol("}")) return c;
    term first = SLUICE_TRY(parse_term());
    if (accept_symbol(":")) {
      c.items.push_back(std::move(first));
      c.items.push_back(SLUICE_TRY(parse_term()));
      while (accept_symbol(",")) {
        c.items.push_back(SLUICE_TRY(parse_term()));
        SLUICE_TRY(symbol(":"));
        c.items.push_back(SLUICE_TRY(parse_term()));
      }
    } else {
      c.what = term::kind::set;
      c.items.push_back(std::move(first));
      while (accept_symbol(",")) c.items.push_back(SLUICE_TRY(parse_term()));
    }
    SLUICE_TRY(symbol("}"));
    return c;
  }

  // --- statements -----------------------------------------------------------------------------
  result<statement> one_statement() {
    if (accept_keyword("create")) {
      if (accept_keyword("keyspace")) return wrap(create_keyspace_body());
      if (accept_keyword("table") || accept_keyword("columnfamily")) {
        return wrap(create_table_body());
      }
      return unexpected("KEYSPACE or TABLE");
    }
    if (accept_keyword("drop")) {
      if (accept_keyword("keyspace")) {
        drop_keyspace d;
        d.if_exists = SLUICE_TRY(if_exists());
        d.name = SLUICE_TRY(identifier("a keyspace name"));
        return statement{d};
      }
      if (accept_keyword("table") || accept_keyword("columnfamily")) {
        drop_table d;
        d.if_exists = SLUICE_TRY(if_exists());
        d.table = SLUICE_TRY(table_name());
        return statement{d};
      }
      return unexpected("KEYSPACE or TABLE");
    }
    if (accept_keyword("truncate")) {
      (void)(accept_keyword("table") || accept_keyword("columnfamily"));
      return statement{truncate_table{SLUICE_TRY(table_name())}};
    }
    if (accept_keyword("use"))
      return statement{use_keyspace{SLUICE_TRY(identifier("a keyspace name"))}};
    if (accept_keyword("alter")) return wrap(alter_table_body());
    if (accept_keyword("insert")) return wrap(insert_body());
    if (accept_keyword("update")) return wrap(update_body());
    if (accept_keyword("delete")) return wrap(delete_body());
    if (accept_keyword("select")) return wrap(select_body());
    if (accept_keyword("begin")) return wrap(batch_body());
    return unexpected(
        "a statement (CREATE, DROP, ALTER, TRUNCATE, USE, INSERT, UPDATE, DELETE, "
        "SELECT, BEGIN BATCH)");
  }

  template <class T>
  static result<statement> wrap(result<T> r) {
    if (!r) return std::unexpected(std::move(r).error());
    return statement{std::move(*r)};
  }

  result<std::vector<std::pair<std::string, std::string>>> string_map_literal() {
    term m = SLUICE_TRY(brace_collection());
    if (m.what != term::kind::map) return unexpected("a map of options");
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t i = 0; i + 1 < m.items.size(); i += 2) {
      out.emplace_back(m.items[i].text, m.items[i + 1].text);
    }
    return out;
  }

  result<create_keyspace> create_keyspace_body() {
    create_keyspace k;
    k.if_not_exists = SLUICE_TRY(if_not_exists());
    k.name = SLUICE_TRY(identifier("a keyspace name"));
    SLUICE_TRY(keyword("with"));
    do {
      const std::string option = SLUICE_TRY(identifier("an option name"));
      SLUICE_TRY(symbol("="));
      if (option == "replication") {
        k.replication = SLUICE_TRY(string_map_literal());
      } else if (option == "durable_writes") {
        const token& v = take();
        if (!v.is_keyword("true") && !v.is_keyword("false")) {
          --pos_;
          return unexpected("true or false");
        }
        k.durable_writes = v.text == "true";
      } else {
        return make_error(errc::syntax, fmt::format("unknown keyspace option '{}'", option));
      }
    } while (accept_keyword("and"));
    return k;
  }

  // A type as written, up to the next top-level ',' or ')' or STATIC / PRIMARY.
  result<std::string> type_text() {
    std::string text;
    int depth = 0;
    for (;;) {
      const token& t = peek();
      if (depth == 0 && (t.kind == token_kind::end || t.is_symbol(",") || t.is_symbol(")") ||
                         t.is_symbol(";") || t.is_keyword("static") || t.is_keyword("primary"))) {
        break;
      }
      if (t.kind == token_kind::end) return unexpected("a type");
      if (t.is_symbol("<")) ++depth;
      if (t.is_symbol(">")) --depth;
      if (depth < 0) return unexpected("a type");
      text += t.is_symbol(",") ? ", " : t.text;
      ++pos_;
    }
    if (text.empty()) return unexpected("a type");
    return text;
  }

  // `col [ASC|DESC], ...`, as CLUSTERING ORDER BY and ORDER BY write it; true is descending.
  result<std::vector<std::pair<std::string, bool>>> ordering() {
    std::vector<std::pair<std::string, bool>> out;
    do {
      std::string col = SLUICE_TRY(identifier("a clustering column"));
      const bool desc = accept_keyword("desc");
      if (!desc) accept_keyword("asc");
      out.emplace_back(std::move(col), desc);
    } while (accept_symbol(","));
    return out;
  }

  result<std::vector<std::string>> name_list() {
    std::vector<std::string> out;
    SLUICE_TRY(symbol("("));
    do {
      out.push_back(SLUICE_TRY(identifier("a column name")));
    } while (accept_symbol(","));
    SLUICE_TRY(symbol(")"));
    return out;
  }

  result<create_table> create_table_body() {
    create_table c;
    c.if_not_exists = SLUICE_TRY(if_not_exists());
    c.table = SLUICE_TRY(table_name());
    SLUICE_TRY(symbol("("));
    do {
      if (accept_keyword("primary")) {
        SLUICE_TRY(keyword("key"));
        if (!c.partition_key.empty()) {
          return make_error(errc::invalid, "a table has one PRIMARY KEY");
        }
        SLUICE_TRY(symbol("("));
        if (peek().is_symbol("(")) {
          c.partition_key = SLUICE_TRY(name_list());
        } else {
          c.partition_key.push_back(SLUICE_TRY(identifier("a column name")));
        }
        while (accept_symbol(",")) c.clustering.push_back(SLUICE_TRY(identifier("a column name")));
        SLUICE_TRY(symbol(")"));
        continue;
      }
      column_def col;
      col.name = SLUICE_TRY(identifier("a column name"));
      col.type = SLUICE_TRY(type_text());
      col.is_static = accept_keyword("static");
      if (accept_keyword("primary")) {
        SLUICE_TRY(keyword("key"));
        if (!c.partition_key.empty()) {
          return make_error(errc::invalid, "a table has one PRIMARY KEY");
        }
        c.partition_key.push_back(col.name);
      }
      c.columns.push_back(std::move(col));
    } while (accept_symbol(","));
    SLUICE_TRY(symbol(")"));
    if (c.partition_key.empty()) {
      return make_error(errc::invalid, fmt::format("table {} has no PRIMARY KEY", c.table.name));
    }
    if (accept_keyword("with")) {
      do {
        if (accept_keyword("clustering")) {
          SLUICE_TRY(keyword("order"));
          SLUICE_TRY(keyword("by"));
          SLUICE_TRY(symbol("("));
          c.clustering_order = SLUICE_TRY(ordering());
          SLUICE_TRY(symbol(")"));
          continue;
        }
        if (accept_keyword("compact")) {
          SLUICE_TRY(keyword("storage"));
          return make_error(errc::invalid, "COMPACT STORAGE is not supported");
        }
        std::string option = SLUICE_TRY(identifier("a table option"));
        SLUICE_TRY(symbol("="));
        if (peek().is_symbol("{")) {
          SLUICE_TRY(brace_collection());
          c.options.emplace_back(std::move(option), "{...}");
        } else {
          c.options.emplace_back(std::move(option), SLUICE_TRY(parse_term()).text);
        }
      } while (accept_keyword("and"));
    }
    return c;
  }

  result<alter_table_add> alter_table_body() {
    SLUICE_TRY(keyword("table"));
    alter_table_add a;
    a.table = SLUICE_TRY(table_name());
    SLUICE_TRY(keyword("add"));
    const bool parenthesized = accept_symbol("(");
    do {
      column_def col;
      col.name = SLUICE_TRY(identifier("a column name"));
      col.type = SLUICE_TRY(type_text());
      col.is_static = accept_keyword("static");
      a.columns.push_back(std::move(col));
    } while (accept_symbol(","));
    if (parenthesized) SLUICE_TRY(symbol(")"));
    return a;
  }

  result<using_clause> using_clause_opt() {
    using_clause u;
    if (!accept_keyword("using")) return u;
    do {
      if (accept_keyword("ttl")) {
        u.ttl = SLUICE_TRY(parse_term());
      } else if (accept_keyword("timestamp")) {
        u.timestamp = SLUICE_TRY(parse_term());
      } else {
        return unexpected("TTL or TIMESTAMP");
      }
    } while (accept_keyword("and"));
    return u;
  }

  result<insert> insert_body() {
    SLUICE_TRY(keyword("into"));
    insert i;
    i.table = SLUICE_TRY(table_name());
    if (accept_keyword("json")) return make_error(errc::invalid, "INSERT JSON is not supported");
    i.columns = SLUICE_TRY(name_list());
    SLUICE_TRY(keyword("values"));
    SLUICE_TRY(symbol("("));
    do {
      i.values.push_back(SLUICE_TRY(parse_term()));
    } while (accept_symbol(","));
    SLUICE_TRY(symbol(")"));
    if (i.values.size() != i.columns.size()) {
      return make_error(errc::invalid,
                        fmt::format("{} columns but {} values", i.columns.size(), i.values.size()));
    }
    i.if_not_exists = SLUICE_TRY(if_not_exists());
    i.using_ = SLUICE_TRY(using_clause_opt());
    return i;
  }

  result<relation> parse_relation() {
    relation r;
    if (accept_keyword("token")) {
      r.token = true;
      r.columns = SLUICE_TRY(name_list());
    } else if (peek().is_symbol("(")) {
      r.columns = SLUICE_TRY(name_list());
    } else {
      r.columns.push_back(SLUICE_TRY(identifier("a column name")));
    }
    const token& op = peek();
    if (accept_keyword("in")) {
      r.what = relation::op::in;
      if (peek().kind == token_kind::bind || peek().kind == token_kind::named_bind) {
        r.in_marker = true;
        r.values.push_back(SLUICE_TRY(parse_term()));
        return r;
      }
      SLUICE_TRY(symbol("("));
      if (!accept_symbol(")")) {
        do {
          r.values.push_back(SLUICE_TRY(tuple_or_term()));
        } while (accept_symbol(","));
        SLUICE_TRY(symbol(")"));
      }
      return r;
    }
    if (accept_keyword("contains")) {
      r.what = accept_keyword("key") ? relation::op::contains_key : relation::op::contains;
      r.values.push_back(SLUICE_TRY(parse_term()));
      return r;
    }
    static constexpr std::pair<std::string_view, relation::op> ops[] = {
        {"=", relation::op::eq}, {"<", relation::op::lt},  {"<=", relation::op::le},
        {">", relation::op::gt}, {">=", relation::op::ge}, {"!=", relation::op::ne}};
    bool found = false;
    for (const auto& [text, o] : ops) {
      if (op.is_symbol(text)) {
        r.what = o;
        found = true;
      }
    }
    if (!found) return unexpected("an operator (=, <, <=, >, >=, IN, CONTAINS)");
    ++pos_;
    r.values.push_back(
        SLUICE_TRY(r.columns.size() > 1 && !r.token ? tuple_or_term() : token_or_term()));
    return r;
  }

  // token(?) or token('a') on the right of a token relation.
  result<term> token_or_term() {
    if (peek().is_keyword("token") && peek(1).is_symbol("(")) return function_term();
    return parse_term();
  }

  // (a, b) as a list of terms, for tuple relations; else a term.
  result<term> tuple_or_term() {
    if (!peek().is_symbol("(")) return parse_term();
    return collection("(", ")", term::kind::list);
  }

  result<std::vector<relation>> where_clause() {
    std::vector<relation> out;
    SLUICE_TRY(keyword("where"));
    do {
      out.push_back(SLUICE_TRY(parse_relation()));
    } while (accept_keyword("and"));
    return out;
  }

  result<update> update_body() {
    update u;
    u.table = SLUICE_TRY(table_name());
    u.using_ = SLUICE_TRY(using_clause_opt());
    SLUICE_TRY(keyword("set"));
    do {
      assignment a;
      a.column = SLUICE_TRY(identifier("a column name"));
      if (accept_symbol("[")) {
        a.key = SLUICE_TRY(parse_term());
        SLUICE_TRY(symbol("]"));
      }
      SLUICE_TRY(symbol("="));
      if (peek().kind == token_kind::identifier && peek().text == a.column && !a.key &&
          (peek(1).is_symbol("+") || peek(1).is_symbol("-"))) {
        ++pos_;
        a.what = take().text == "+" ? assignment::kind::append : assignment::kind::remove;
        a.value = SLUICE_TRY(parse_term());
      } else {
        a.value = SLUICE_TRY(parse_term());
        if (accept_symbol("+")) {
          if (SLUICE_TRY(identifier("the column being prepended to")) != a.column) {
            return make_error(errc::invalid, fmt::format("only {} can follow '+'", a.column));
          }
          a.what = assignment::kind::prepend;
        }
      }
      u.assignments.push_back(std::move(a));
    } while (accept_symbol(","));
    u.where = SLUICE_TRY(where_clause());
    if (accept_keyword("if")) {
      if (!accept_keyword("exists")) {
        return make_error(errc::invalid, "conditional updates (IF col = ...) are not supported");
      }
      u.if_exists = true;
    }
    return u;
  }

  result<delete_> delete_body() {
    delete_ d;
    if (!peek().is_keyword("from")) {
      do {
        d.columns.push_back(SLUICE_TRY(identifier("a column name")));
        if (accept_symbol("[")) {
          return make_error(errc::invalid, "deleting collection elements is not supported");
        }
      } while (accept_symbol(","));
    }
    SLUICE_TRY(keyword("from"));
    d.table = SLUICE_TRY(table_name());
    d.using_ = SLUICE_TRY(using_clause_opt());
    if (d.using_.ttl) return make_error(errc::invalid, "DELETE takes no TTL");
    d.where = SLUICE_TRY(where_clause());
    d.if_exists = SLUICE_TRY(if_exists());
    return d;
  }

  result<selector> parse_selector() {
    return nested("selectors", [this] { return parse_selector_inner(); });
  }

  result<selector> parse_selector_inner() {
    selector s;
    const std::string name = SLUICE_TRY(identifier("a column, COUNT(*) or a function"));
    if (accept_symbol("(")) {
      s.name = name;
      if (name == "count" && accept_symbol("*")) {
        s.what = selector::kind::count_star;
      } else if (name == "count" && peek().kind == token_kind::integer && peek().text == "1") {
        ++pos_;
        s.what = selector::kind::count_star;
      } else {
        s.what = name == "writetime" ? selector::kind::writetime
                 : name == "ttl"     ? selector::kind::ttl
                                     : selector::kind::function;
        if (!peek().is_symbol(")")) {
          do {
            s.args.push_back(SLUICE_TRY(parse_selector()));
          } while (accept_symbol(","));
        }
      }
      SLUICE_TRY(symbol(")"));
    } else {
      s.name = name;
    }
    if (accept_keyword("as")) s.alias = SLUICE_TRY(identifier("an alias"));
    return s;
  }

  result<select> select_body() {
    select s;
    s.json = accept_keyword("json");
    s.distinct = accept_keyword("distinct");
    if (accept_symbol("*")) {
      s.star = true;
    } else {
      do {
        s.selectors.push_back(SLUICE_TRY(parse_selector()));
      } while (accept_symbol(","));
    }
    SLUICE_TRY(keyword("from"));
    s.table = SLUICE_TRY(table_name());
    if (peek().is_keyword("where")) s.where = SLUICE_TRY(where_clause());
    if (accept_keyword("order")) {
      SLUICE_TRY(keyword("by"));
      s.order_by = SLUICE_TRY(ordering());
    }
    if (accept_keyword("per")) {
      SLUICE_TRY(keyword("partition"));
      SLUICE_TRY(keyword("limit"));
      s.per_partition_limit = SLUICE_TRY(parse_term());
    }
    if (accept_keyword("limit")) s.limit = SLUICE_TRY(parse_term());
    if (accept_keyword("allow")) {
      SLUICE_TRY(keyword("filtering"));
      s.allow_filtering = true;
    }
    return s;
  }

  result<batch> batch_body() {
    batch b;
    if (accept_keyword("unlogged")) {
      b.what = batch::kind::unlogged;
    } else if (accept_keyword("counter")) {
      b.what = batch::kind::counter;
    } else {
      accept_keyword("logged");
    }
    SLUICE_TRY(keyword("batch"));
    b.using_ = SLUICE_TRY(using_clause_opt());
    while (!accept_keyword("apply")) {
      statement s;
      if (accept_keyword("insert")) {
        s.body = SLUICE_TRY(insert_body());
      } else if (accept_keyword("update")) {
        s.body = SLUICE_TRY(update_body());
      } else if (accept_keyword("delete")) {
        s.body = SLUICE_TRY(delete_body());
      } else {
        return unexpected("INSERT, UPDATE, DELETE or APPLY BATCH");
      }
      b.statements.push_back(std::move(s));
      accept_symbol(";");
    }
    SLUICE_TRY(keyword("batch"));
    return b;
  }

  std::vector<token> t_;
  size_t pos_ = 0;
  std::vector<std::string> bind_names_;
  int depth_ = 0;
};

}  // namespace

result<statement> parse(std::string_view text) {
  auto tokens = SLUICE_TRY(tokenize(text));
  return parser(std::move(tokens)).run();
}

}  // namespace sluice::parser
