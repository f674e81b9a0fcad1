// The machinery behind config loading: a schema is a set of field declarations per struct (key,
// member, documentation, required or not); one generic walker parses any struct from YAML against
// its schema, reporting every problem with its position, and the same declarations produce the
// reference documentation. Internal to the config module (it includes yaml-cpp).
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "config/config.h"

namespace sluice::config::schema {

// Collects problems; never stops at the first one, so a user sees every mistake at once.
class context {
 public:
  explicit context(std::string file) : file_(std::move(file)) {}
  void report(const YAML::Mark& at, std::string_view path, std::string text);
  [[nodiscard]] bool ok() const { return problems_.empty(); }
  // Problems of structure and type, as opposed to those found by cross-field checks. A check
  // runs only when its object has none, so it can rely on the field types.
  [[nodiscard]] size_t structural() const { return structural_; }
  // Runs a cross-field check; what it reports does not count as structural.
  template <class F>
  void run_check(F&& f) {
    const bool outer = in_check_;
    in_check_ = true;
    f();
    in_check_ = outer;
  }
  // One line per problem, in file order: `file:line:column: path: text`; past max_listed, a last
  // line counts the rest.
  [[nodiscard]] std::string message() const;

 private:
  struct problem {
    int line, column;
    size_t seq;  // report order, to keep problems at one position in the order found
    std::string text;
  };
  static constexpr size_t max_listed = 100;
  std::string file_;
  std::vector<problem> problems_;
  size_t structural_ = 0;
  bool in_check_ = false;
};

// A value in the document: its node, the position of its key (a null value's own mark is not
// where the user wrote it), and its dotted path such as `pipelines[0].ingest.url`.
struct where {
  YAML::Node node;
  YAML::Mark key_mark;
  std::string path;
  [[nodiscard]] YAML::Mark mark() const;
  [[nodiscard]] where child(const YAML::Node& n, const YAML::Mark& key,
                            std::string_view key_name) const;
  [[nodiscard]] where item(const YAML::Node& n, size_t index) const;
};

// One step of a path into a document: a mapping key or a list index.
struct step {
  step(const char* k) : key(k) {}
  step(size_t i) : index(i), is_index(true) {}
  std::string_view key;
  size_t index = 0;
  bool is_index = false;
};

// Position of the node at `path` below `node` (e.g. {"tasks", 2, "upstream", 0}), or `fallback`
// when some step does not exist or meets a node of another kind. Never throws, unlike yaml-cpp's
// accessors on nodes of the wrong kind.
YAML::Mark mark_at(const YAML::Node& node, std::initializer_list<step> path,
                   const YAML::Mark& fallback);

// Parses `text` as exactly one YAML document. A second document, an alias (`*name`: it can make
// a small file expand into a huge one) or a syntax error is reported, and nullopt returned. An
// empty text is one empty document.
std::optional<YAML::Node> load_document(std::string_view text, context& ctx);

// A scalar that reads as text: plain, quoted, or explicitly tagged !!str (not !!binary & co).
bool is_text_scalar(const YAML::Node& n);

// "a mapping", "a list", "null", or the scalar quoted.
std::string describe(const YAML::Node& n);

// One row of the reference documentation.
struct doc_row {
  std::string key, type, default_value, doc;
  bool required = false;
};

// Every struct with a schema declares `const object_spec<S>& spec_for(S*)` in sluice::config.
template <class S>
struct object_spec;

template <class S>
concept object = requires(S* p) { spec_for(p); };

// Enums declare `std::span<const std::string_view> enum_names(E)` (names in enumerator order).
template <class E>
concept named_enum = std::is_enum_v<E> && requires(E e) {
  { enum_names(e) } -> std::convertible_to<std::span<const std::string_view>>;
};

// --- scalar types ------------------------------------------------------------------------------
void parse_value(const where& w, context& ctx, bool& out);
void parse_value(const where& w, context& ctx, int64_t& out);
void parse_value(const where& w, context& ctx, double& out);
void parse_value(const where& w, context& ctx, std::string& out);
void parse_value(const where& w, context& ctx, std::chrono::milliseconds& out);
void parse_value(const where& w, context& ctx, host_port& out);

std::string render(bool v);
std::string render(int64_t v);
std::string render(double v);
std::string render(const std::string& v);
std::string render(std::chrono::milliseconds v);
std::string render(const host_port& v);

// Parses "60s", "500ms", "5m", "1h30m": a sequence of <integer><unit>, unit one of ms, s, m, h, d.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Index of the name, or nullopt; and "a, b or c" for messages.
std::optional<size_t> find_name(std::span<const std::string_view> names, std::string_view s);
std::string join_names(std::span<const std::string_view> names);

template <class T>
std::string type_name();

// --- enums --------------------------------------------------------------------------------------
template <named_enum E>
void parse_value(const where& w, context& ctx, E& out) {
  const auto names = enum_names(E{});
  if (is_text_scalar(w.node)) {
    if (auto i = find_name(names, w.node.Scalar())) {
      out = static_cast<E>(*i);
      return;
    }
  }
  ctx.report(w.mark(), w.path, "expected " + join_names(names) + ", got " + describe(w.node));
}

template <named_enum E>
std::string render(E v) {
  return std::string(enum_names(v)[static_cast<size_t>(v)]);
}

// --- objects ------------------------------------------------------------------------------------
template <class S>
struct field {
  std::string key;
  std::string doc;
  bool required = false;
  std::string type;
  std::string default_text;  // how the default reads in the docs (markdown)
  std::function<void(const where&, context&, S&)> parse;
  std::function<void(std::vector<doc_row>&, const std::string&)> document_children;
};

template <class S>
struct object_spec {
  std::vector<field<S>> fields;
  // Checks across fields, run only when the fields themselves parsed without problems (so `w.node`
  // is a mapping and every field has the type its declaration says).
  std::function<void(const where&, context&, S&)> check;
};

template <object S>
void parse_value(const where& w, context& ctx, S& out);

// --- containers ---------------------------------------------------------------------------------
template <class T>
void parse_value(const where& w, context& ctx, std::vector<T>& out) {
  if (!w.node.IsSequence()) {
    ctx.report(w.mark(), w.path, "expected a list, got " + describe(w.node));
    return;
  }
  out.clear();
  out.reserve(w.node.size());
  for (size_t i = 0; i < w.node.size(); ++i) {
    out.emplace_back();
    parse_value(w.item(w.node[i], i), ctx, out.back());
  }
}

template <class T>
void parse_value(const where& w, context& ctx, std::optional<T>& out) {
  out.emplace();
  parse_value(w, ctx, *out);
}

// A mapping of string keys to values (environment variables, DAG params).
template <class T>
void parse_value(const where& w, context& ctx, std::map<std::string, T>& out) {
  if (!w.node.IsMap()) {
    ctx.report(w.mark(), w.path, "expected a mapping, got " + describe(w.node));
    return;
  }
  out.clear();
  for (const auto& kv : w.node) {
    if (!kv.first.IsScalar()) {
      ctx.report(kv.first.Mark(), w.path, "keys must be plain strings, got " + describe(kv.first));
      continue;
    }
    const std::string& key = kv.first.Scalar();
    if (out.contains(key)) {
      ctx.report(kv.first.Mark(), w.path + "." + key, "duplicate key");
      continue;
    }
    parse_value(w.child(kv.second, kv.first.Mark(), key), ctx, out[key]);
  }
}

template <class T>
std::string render(const std::map<std::string, T>& m) {
  std::string s = "{";
  for (const auto& [k, v] : m) s += (s.size() > 1 ? ", " : "") + k + ": " + render(v);
  return s + "}";
}

template <class T>
std::string render(const std::vector<T>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + render(v[i]);
  return s + "]";
}

template <class T>
std::string render(const std::optional<T>& v) {
  return v ? render(*v) : "(none)";
}

// The element type of nested containers, for documentation.
template <class T>
struct element {
  using type = T;
  static constexpr const char* suffix = "";
};
template <class T>
struct element<std::vector<T>> {
  using type = T;
  static constexpr const char* suffix = "[]";
};
template <class T>
struct element<std::map<std::string, T>> {
  using type = T;
  static constexpr const char* suffix = "{}";
};
template <class T>
struct element<std::optional<T>> {
  using type = T;
  static constexpr const char* suffix = "";
};

template <class T>
std::string type_name() {
  using E = typename element<T>::type;
  if constexpr (std::is_same_v<T, bool>) {
    return "bool";
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return "integer";
  } else if constexpr (std::is_same_v<T, double>) {
    return "number";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "string";
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    return "duration";
  } else if constexpr (std::is_same_v<T, host_port>) {
    return "host:port";
  } else if constexpr (named_enum<T>) {
    return join_names(enum_names(T{}));
  } else if constexpr (object<T>) {
    return "mapping";
  } else if constexpr (element<T>::suffix[0] == '[') {
    return "list of " + type_name<E>();
  } else if constexpr (element<T>::suffix[0] == '{') {
    return "mapping of " + type_name<E>();
  } else {
    return type_name<E>();
  }
}

template <object S>
void document(std::vector<doc_row>& rows, const std::string& prefix);

// Declares a field bound to a struct member. The default shown in the docs is the member's value
// in a default-constructed S, unless `default_text` says otherwise (for derived defaults).
struct field_options {
  bool required = false;
  std::string default_text;  // markdown
};

template <class S, class T>
field<S> make_field(std::string key, T S::* member, std::string doc, field_options opt = {}) {
  field<S> f;
  f.key = std::move(key);
  f.doc = std::move(doc);
  f.required = opt.required;
  f.type = type_name<T>();
  using E = typename element<T>::type;
  if (!opt.default_text.empty()) {
    f.default_text = std::move(opt.default_text);
  } else if (opt.required) {
    f.default_text = "(required)";
  } else if constexpr (object<T>) {
    f.default_text = "";
  } else if constexpr (object<E> && !std::is_same_v<E, T>) {
    f.default_text = element<T>::suffix[0] == '[' ? "`[]`" : "(none)";
  } else {
    static const S defaults{};
    f.default_text = "`" + render(defaults.*member) + "`";
  }
  f.parse = [member](const where& w, context& ctx, S& s) { parse_value(w, ctx, s.*member); };
  if constexpr (object<E>) {
    f.document_children = [suffix = std::string(element<T>::suffix)](std::vector<doc_row>& rows,
                                                                     const std::string& key) {
      document<E>(rows, key + suffix + ".");
    };
  }
  return f;
}

// Reports an unknown key, suggesting the closest known one.
void report_unknown_key(context& ctx, const YAML::Mark& at, const std::string& path,
                        std::string_view key, const std::vector<std::string_view>& known);

template <object S>
void parse_value(const where& w, context& ctx, S& out) {
  const object_spec<S>& spec = spec_for(static_cast<S*>(nullptr));
  if (!w.node.IsMap() && !w.node.IsNull()) {
    ctx.report(w.mark(), w.path, "expected a mapping, got " + describe(w.node));
    return;
  }
  const size_t problems_before = ctx.structural();
  std::vector<bool> seen(spec.fields.size(), false);
  std::vector<std::string_view> known;
  for (const auto& f : spec.fields) known.push_back(f.key);
  if (w.node.IsMap()) {
    for (const auto& kv : w.node) {
      const YAML::Mark key_mark = kv.first.Mark();
      if (!kv.first.IsScalar()) {
        ctx.report(key_mark, w.path, "keys must be plain strings, got " + describe(kv.first));
        continue;
      }
      const std::string& key = kv.first.Scalar();
      const std::string path = w.path.empty() ? key : w.path + "." + key;
      size_t i = 0;
      while (i < spec.fields.size() && spec.fields[i].key != key) ++i;
      if (i == spec.fields.size()) {
        report_unknown_key(ctx, key_mark, path, key, known);
        continue;
      }
      if (seen[i]) {
        ctx.report(key_mark, path, "duplicate key");
        continue;
      }
      seen[i] = true;
      spec.fields[i].parse(w.child(kv.second, key_mark, key), ctx, out);
    }
  }
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    if (spec.fields[i].required && !seen[i]) {
      const std::string& key = spec.fields[i].key;
      ctx.report(w.mark(), w.path.empty() ? key : w.path + "." + key, "missing required key");
    }
  }
  if (spec.check && ctx.structural() == problems_before) {
    ctx.run_check([&] { spec.check(w, ctx, out); });
  }
}

template <object S>
void document(std::vector<doc_row>& rows, const std::string& prefix) {
  const object_spec<S>& spec = spec_for(static_cast<S*>(nullptr));
  rows.reserve(rows.size() + spec.fields.size());
  for (const auto& f : spec.fields) {
    rows.push_back({prefix + f.key, f.type, f.default_text, f.doc, f.required});
    if (f.document_children) f.document_children(rows, prefix + f.key);
  }
}

}  // namespace sluice::config::schema
