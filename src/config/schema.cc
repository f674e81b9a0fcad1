#include "config/schema.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

namespace sluice::config::schema {
namespace {

// Plain (unquoted) scalars carry the non-specific tag "?"; quoted ones carry "!".
bool is_plain_scalar(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "?"; }

}  // namespace

bool is_text_scalar(const YAML::Node& n) {
  return n.IsScalar() && (n.Tag() == "?" || n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str");
}

namespace {

// Finds what plain yaml-cpp loading would accept silently: documents after the first, aliases.
class structure_scan final : public YAML::EventHandler {
 public:
  explicit structure_scan(context& ctx) : ctx_(ctx) {}
  int documents = 0;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) {
      ctx_.report(mark, "", "a config file holds one YAML document; a second one starts here");
    }
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    ctx_.report(mark, "", "aliases (*name) are not supported: write the value out");
  }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  context& ctx_;
};

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

void context::report(const YAML::Mark& at, std::string_view path, std::string text) {
  const int line = at.is_null() ? 1 : at.line + 1;
  const int column = at.is_null() ? 1 : at.column + 1;
  std::string t = path.empty() ? std::move(text) : fmt::format("{}: {}", path, text);
  problems_.push_back({line, column, problems_.size(), std::move(t)});
  if (!in_check_) ++structural_;
}

std::string context::message() const {
  std::vector<problem> sorted = problems_;
  std::sort(sorted.begin(), sorted.end(), [](const problem& a, const problem& b) {
    return std::tie(a.line, a.column, a.seq) < std::tie(b.line, b.column, b.seq);
  });
  std::string out;
  for (size_t i = 0; i < sorted.size() && i < max_listed; ++i) {
    const problem& p = sorted[i];
    if (!out.empty()) out += '\n';
    out += fmt::format("{}:{}:{}: {}", file_, p.line, p.column, p.text);
  }
  if (sorted.size() > max_listed) {
    out += fmt::format("\n{}: {} more problem(s) not listed", file_, sorted.size() - max_listed);
  }
  return out;
}

YAML::Mark where::mark() const {
  if (node.IsNull() || node.Mark().is_null()) return key_mark;
  return node.Mark();
}

where where::child(const YAML::Node& n, const YAML::Mark& key, std::string_view key_name) const {
  return {n, key, path.empty() ? std::string(key_name) : fmt::format("{}.{}", path, key_name)};
}

where where::item(const YAML::Node& n, size_t index) const {
  // A null item's own mark is the next token's, often on the next line: use the list's.
  YAML::Mark m = n.IsNull() || n.Mark().is_null() ? mark() : n.Mark();
  return {n, m, fmt::format("{}[{}]", path, index)};
}

std::optional<YAML::Node> load_document(std::string_view text, context& ctx) {
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    structure_scan scan(ctx);
    while (parser.HandleNextDocument(scan) && scan.documents < 2) {
    }
    if (!ctx.ok()) return std::nullopt;
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    ctx.report(e.mark, "", "syntax error: " + e.msg);
    return std::nullopt;
  }
}

YAML::Mark mark_at(const YAML::Node& node, std::initializer_list<step> path,
                   const YAML::Mark& fallback) {
  // yaml-cpp's Node::operator= assigns into the document; reset() rebinds the handle.
  YAML::Node at;
  at.reset(node);
  YAML::Mark key_mark = fallback;
  for (const step& st : path) {
    if (st.is_index) {
      if (!at.IsSequence() || st.index >= at.size()) return fallback;
      const YAML::Node item = at[st.index];
      at.reset(item);
      key_mark = at.Mark();
      continue;
    }
    if (!at.IsMap()) return fallback;
    YAML::Node next;
    bool found = false;
    for (const auto& kv : at) {
      if (kv.first.IsScalar() && kv.first.Scalar() == st.key) {
        next.reset(kv.second);
        key_mark = kv.first.Mark();
        found = true;
        break;
      }
    }
    if (!found) return fallback;
    at.reset(next);
  }
  // A null value's own mark is not where the user wrote it: point at its key.
  return at.IsNull() || at.Mark().is_null() ? key_mark : at.Mark();
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar:
      if (is_plain_scalar(n)) return n.Scalar();
      if (n.Tag() == "!") return fmt::format("\"{}\"", n.Scalar());
      return fmt::format("{} {}", n.Tag(), n.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "?";
}

void parse_value(const where& w, context& ctx, bool& out) {
  if (is_plain_scalar(w.node)) {
    const std::string& s = w.node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") {
      out = true;
      return;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      out = false;
      return;
    }
  }
  ctx.report(w.mark(), w.path, "expected true or false, got " + describe(w.node));
}

void parse_value(const where& w, context& ctx, int64_t& out) {
  if (is_plain_scalar(w.node)) {
    const std::string& s = w.node.Scalar();
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size()) {
      out = v;
      return;
    }
    if (ec == std::errc::result_out_of_range) {
      ctx.report(w.mark(), w.path, "integer " + s + " is out of range");
      return;
    }
  }
  ctx.report(w.mark(), w.path, "expected an integer, got " + describe(w.node));
}

void parse_value(const where& w, context& ctx, double& out) {
  if (is_plain_scalar(w.node)) {
    const std::string& s = w.node.Scalar();
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size() && std::isfinite(v)) {
      out = v;
      return;
    }
  }
  ctx.report(w.mark(), w.path, "expected a number, got " + describe(w.node));
}

void parse_value(const where& w, context& ctx, std::string& out) {
  if (is_text_scalar(w.node)) {
    out = w.node.Scalar();
    return;
  }
  ctx.report(w.mark(), w.path, "expected a string, got " + describe(w.node));
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  while (!s.empty()) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || n < 0 || end == s.data()) return std::nullopt;
    s.remove_prefix(static_cast<size_t>(end - s.data()));
    int64_t unit_ms = 0;
    size_t unit_len = 1;
    if (s.starts_with("ms")) {
      unit_ms = 1;
      unit_len = 2;
    } else if (s.starts_with("s")) {
      unit_ms = 1000;
    } else if (s.starts_with("m")) {
      unit_ms = 60'000;
    } else if (s.starts_with("h")) {
      unit_ms = 3'600'000;
    } else if (s.starts_with("d")) {
      unit_ms = 86'400'000;
    } else {
      return std::nullopt;
    }
    s.remove_prefix(unit_len);
    if (__builtin_mul_overflow(n, unit_ms, &n) || __builtin_add_overflow(total, n, &total)) {
      return std::nullopt;
    }
  }
  return std::chrono::milliseconds(total);
}

void parse_value(const where& w, context& ctx, std::chrono::milliseconds& out) {
  if (is_text_scalar(w.node)) {
    if (auto d = parse_duration(w.node.Scalar())) {
      out = *d;
      return;
    }
  }
  ctx.report(w.mark(), w.path,
             "expected a duration such as 500ms, 30s, 5m, 1h30m, got " + describe(w.node));
}

void parse_value(const where& w, context& ctx, host_port& out) {
  if (is_text_scalar(w.node)) {
    auto hp = host_port::parse(w.node.Scalar());
    if (hp) {
      out = std::move(*hp);
      return;
    }
    ctx.report(w.mark(), w.path, hp.error().message);
    return;
  }
  ctx.report(w.mark(), w.path, "expected host:port, got " + describe(w.node));
}

std::string render(bool v) { return v ? "true" : "false"; }
std::string render(int64_t v) { return std::to_string(v); }
std::string render(double v) { return fmt::format("{}", v); }
std::string render(const std::string& v) { return v.empty() ? "\"\"" : v; }
std::string render(const host_port& v) { return v.to_string(); }

std::string render(std::chrono::milliseconds v) {
  const int64_t ms = v.count();
  if (ms != 0 && ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms != 0 && ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

std::optional<size_t> find_name(std::span<const std::string_view> names, std::string_view s) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == s) return i;
  }
  return std::nullopt;
}

std::string join_names(std::span<const std::string_view> names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += names[i];
  }
  return out;
}

void report_unknown_key(context& ctx, const YAML::Mark& at, const std::string& path,
                        std::string_view key, const std::vector<std::string_view>& known) {
  std::string_view best;
  size_t best_d = SIZE_MAX;
  for (auto k : known) {
    size_t d = edit_distance(key, k);
    if (d < best_d) best_d = d, best = k;
  }
  if (key == "<<") {
    ctx.report(at, path, "merge keys (<<) are not supported: write the keys out");
  } else if (!best.empty() && best_d <= std::max<size_t>(1, key.size() / 3)) {
    ctx.report(at, path, fmt::format("unknown key (did you mean '{}'?)", best));
  } else {
    ctx.report(at, path, fmt::format("unknown key (expected {})", join_names(known)));
  }
}

}  // namespace sluice::config::schema
