// Config loading on arbitrary text: a config file is user input, often hand-edited or truncated.
// Loading either succeeds or returns an error naming a position; it never crashes or throws.
#include <cstdlib>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = sluice::config::load_string(text, "fuzz.yaml");
  if (!c && !c.error().message.starts_with("fuzz.yaml:")) std::abort();
  return 0;
}
