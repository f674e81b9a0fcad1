#include "base/thread_name.h"

#include <pthread.h>

#include <algorithm>

namespace sluice {

void name_this_thread(std::string_view name) {
  char buf[16] = {};
  const size_t n = std::min(name.size(), sizeof buf - 1);
  std::copy_n(name.data(), n, buf);
  pthread_setname_np(pthread_self(), buf);  // fails only for a name over 15 bytes
}

}  // namespace sluice
