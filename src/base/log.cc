#include "base/log.h"

#include <fmt/core.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <mutex>

namespace sluice::log {
namespace {

constexpr std::array<std::string_view, 6> level_table{"trace", "debug", "info",
                                                      "warn",  "error", "off"};
constexpr std::array<std::string_view, 2> format_table{"text", "json"};

spdlog::level::level_enum to_spdlog(level l) {
  switch (l) {
    case level::trace: return spdlog::level::trace;
    case level::debug: return spdlog::level::debug;
    case level::info: return spdlog::level::info;
    case level::warn: return spdlog::level::warn;
    case level::error: return spdlog::level::err;
    case level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0 if it is not one.
size_t utf8_sequence_length(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
  const unsigned char c = b(0);
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;   // overlong
    if (c == 0xed && b(1) >= 0xa0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xf0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xf4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// %J: the message payload as the contents of a JSON string (quotes, backslashes and control
// characters escaped), so that JSON log lines stay valid whatever is logged.
class json_payload_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view in(msg.payload.data(), msg.payload.size());
    for (size_t i = 0; i < in.size();) {
      const auto c = static_cast<unsigned char>(in[i]);
      if (c >= 0x80) {
        // Copy a valid UTF-8 sequence; replace a broken one with U+FFFD so the line stays JSON.
        const size_t n = utf8_sequence_length(in.substr(i));
        if (n == 0) {
          dest.append(std::string_view("\\ufffd"));
          ++i;
        } else {
          dest.append(in.substr(i, n));
          i += n;
        }
        continue;
      }
      switch (c) {
        case '"': dest.append(std::string_view("\\\"")); break;
        case '\\': dest.append(std::string_view("\\\\")); break;
        case '\n': dest.append(std::string_view("\\n")); break;
        case '\r': dest.append(std::string_view("\\r")); break;
        case '\t': dest.append(std::string_view("\\t")); break;
        default:
          if (c < 0x20 || c == 0x7f) {
            fmt::format_to(std::back_inserter(dest), "\\u{:04x}", static_cast<int>(c));
          } else {
            dest.push_back(static_cast<char>(c));
          }
      }
      ++i;
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_payload_flag>();
  }
};

std::unique_ptr<spdlog::formatter> make_formatter(format f) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (f == format::json) {
    formatter->add_flag<json_payload_flag>('J').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","module":"%n","msg":"%J"})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ [%n] %v");
  }
  return formatter;
}

std::mutex mu;
level current_level = level::info;
format current_format = format::text;
std::shared_ptr<spdlog::sinks::sink> stderr_sink() {
  static auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return sink;
}

}  // namespace

result<level> parse_level(std::string_view name) {
  for (size_t i = 0; i < level_table.size(); ++i) {
    if (name == level_table[i]) return static_cast<level>(i);
  }
  return make_error(errc::invalid_argument,
                    fmt::format("unknown log level '{}' (expected trace, debug, info, warn, "
                                "error or off)",
                                name));
}

result<format> parse_format(std::string_view name) {
  for (size_t i = 0; i < format_table.size(); ++i) {
    if (name == format_table[i]) return static_cast<format>(i);
  }
  return make_error(errc::invalid_argument,
                    fmt::format("unknown log format '{}' (expected text or json)", name));
}

std::span<const std::string_view> level_names() { return ::sluice::log::level_table; }
std::span<const std::string_view> format_names() { return ::sluice::log::format_table; }

std::string_view to_string(level l) { return level_table[static_cast<size_t>(l)]; }
std::string_view to_string(format f) { return format_table[static_cast<size_t>(f)]; }

void setup(level l, format f) {
  std::lock_guard lock(mu);
  current_level = l;
  current_format = f;
  // UTC timestamps, so that the trailing Z in both patterns is true.
  spdlog::set_formatter(make_formatter(f));
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& lg) {
    lg->set_level(to_spdlog(l));
    lg->set_formatter(make_formatter(f));
  });
  spdlog::set_level(to_spdlog(l));
}

std::shared_ptr<spdlog::logger> get(std::string_view module) {
  std::lock_guard lock(mu);
  std::string name(module);
  if (auto existing = spdlog::get(name)) return existing;
  auto lg = std::make_shared<spdlog::logger>(name, stderr_sink());
  lg->set_level(to_spdlog(current_level));
  lg->set_formatter(make_formatter(current_format));
  lg->flush_on(spdlog::level::warn);
  spdlog::register_logger(lg);
  return lg;
}

}  // namespace sluice::log
