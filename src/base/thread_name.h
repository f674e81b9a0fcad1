// Names the calling thread, so that `top -H`, `ps -L`, perf and gdb tell sluice's threads apart
// ("broker", "store-commit", ...). Linux keeps 15 bytes; longer names are cut.
#pragma once

#include <string_view>

namespace sluice {

void name_this_thread(std::string_view name);

}  // namespace sluice
