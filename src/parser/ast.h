// The CQL statements the store serves, as parsed: names resolved to lower case (unless quoted),
// literals kept as text (their type is known only against a table's schema), bind markers
// numbered in order of appearance.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sluice::parser {

// A value in a statement: a literal, a bind marker, a collection literal or a function call.
struct term {
  enum class kind : uint8_t {
    string,
    integer,
    floating,
    boolean,
    uuid,
    blob,
    null,
    bind,  // ? or :name; `bind_index` is its position among the statement's markers
    list,
    set,
    map,       // `items` (a map's keys and values alternate)
    function,  // `text` is the name (now, uuid, totimestamp, ...), `items` the arguments
  };
  kind what = kind::null;
  std::string text;
  int bind_index = -1;
  std::vector<term> items;
};

struct qualified_name {
  std::string keyspace;  // empty: the connection's current keyspace
  std::string name;
};

struct create_keyspace {
  std::string name;
  bool if_not_exists = false;
  std::vector<std::pair<std::string, std::string>> replication;
  bool durable_writes = true;
};

struct drop_keyspace {
  std::string name;
  bool if_exists = false;
};

struct use_keyspace {
  std::string name;
};

struct column_def {
  std::string name;
  std::string type;  // as written; the store resolves it (cql::data_type::parse)
  bool is_static = false;
};

struct create_table {
  qualified_name table;
  bool if_not_exists = false;
  std::vector<column_def> columns;
  std::vector<std::string> partition_key;
  std::vector<std::string> clustering;
  std::vector<std::pair<std::string, bool>> clustering_order;  // column, descending
  std::vector<std::pair<std::string, std::string>> options;    // WITH name = value (kept as text)
};

struct drop_table {
  qualified_name table;
  bool if_exists = false;
};

struct truncate_table {
  qualified_name table;
};

struct alter_table_add {
  qualified_name table;
  std::vector<column_def> columns;
};

struct using_clause {
  std::optional<term> ttl;
  std::optional<term> timestamp;
};

struct insert {
  qualified_name table;
  std::vector<std::string> columns;
  std::vector<term> values;
  bool if_not_exists = false;
  using_clause using_;
};

// The left side of a WHERE relation: a column, token(columns), or a tuple of columns.
struct relation {
  enum class op : uint8_t { eq, lt, le, gt, ge, ne, in, contains, contains_key };
  std::vector<std::string> columns;  // one, or the token's / tuple's columns
  bool token = false;
  op what = op::eq;
  std::vector<term> values;  // one; several for IN
  bool in_marker = false;    // `IN ?`: the one value is a bound list
};

struct assignment {
  std::string column;
  std::optional<term> key;  // column[key] = value
  enum class kind : uint8_t { set, append, prepend, remove } what = kind::set;
  term value;
};

struct update {
  qualified_name table;
  using_clause using_;
  std::vector<assignment> assignments;
  std::vector<relation> where;
  bool if_exists = false;
};

struct delete_ {
  qualified_name table;
  std::vector<std::string> columns;  // empty: the whole row (or partition, or range)
  using_clause using_;
  std::vector<relation> where;
  bool if_exists = false;
};

struct selector {
  enum class kind : uint8_t { column, count_star, function, writetime, ttl } what = kind::column;
  std::string name;  // the column, or the function's name
  std::vector<selector> args;
  std::string alias;  // AS alias; empty when none
};

struct select {
  qualified_name table;
  bool star = false;
  bool distinct = false;
  bool json = false;
  std::vector<selector> selectors;
  std::vector<relation> where;
  std::vector<std::pair<std::string, bool>> order_by;  // column, descending
  std::optional<term> limit;
  std::optional<term> per_partition_limit;
  bool allow_filtering = false;
};

struct statement;

struct batch {
  enum class kind : uint8_t { logged, unlogged, counter } what = kind::logged;
  using_clause using_;
  std::vector<statement> statements;  // inserts, updates and deletes
};

struct statement {
  std::variant<create_keyspace, drop_keyspace, use_keyspace, create_table, drop_table,
               truncate_table, alter_table_add, insert, update, delete_, select, batch>
      body;
  int bind_count = 0;                   // bind markers in the statement
  std::vector<std::string> bind_names;  // their names (`:name`), empty strings for `?`
};

}  // namespace sluice::parser
