// Small file helpers with explicit durability.
#pragma once

#include <filesystem>
#include <string_view>

#include "base/error.h"

namespace sluice {

// Writes `contents` to `path` durably: a temporary file, fsync, rename over `path`, fsync of the
// directory. Readers see the old file or the new one, never a mix, even after a crash.
result<void> write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// fsync of a directory, so that file creations, renames and deletions in it survive a crash.
result<void> sync_directory(const std::filesystem::path& dir);

}  // namespace sluice
