// Logging: spdlog loggers, one per module, writing to stderr in text or JSON lines.
//
// Call log::setup() once, early in main(), before any thread starts; then log::get("broker")
// returns the shared logger for a module (created on first use with the current level/format).
// Thread-safety: setup() is not thread-safe; get() and the loggers it returns are.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include <spdlog/logger.h>

#include "base/error.h"

namespace sluice::log {

enum class level { trace, debug, info, warn, error, off };
enum class format { text, json };

result<level> parse_level(std::string_view name);
result<format> parse_format(std::string_view name);
// Names in enumerator order, as written in config and on the command line.
std::span<const std::string_view> level_names();
std::span<const std::string_view> format_names();
std::string_view to_string(level l);
std::string_view to_string(format f);

// Applies level and format to every logger, existing and future.
void setup(level l, format f);

std::shared_ptr<spdlog::logger> get(std::string_view module);

}  // namespace sluice::log
