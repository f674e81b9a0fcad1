// Binding a cpp-httplib server to a configured address, the one way sluice's HTTP listeners (the
// random-user API, the scheduler's REST API) do it: port 0 picks a free port, and a failure names
// the address and the reason. Header-only and templated on the server type, so that this header
// stays free of httplib: include it from the .cc files that already include <httplib.h>.
#pragma once

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/error.h"
#include "config/config.h"

namespace sluice::net {

// Binds `http` (not yet listening) and returns the bound "host:port".
template <class HttpServer>
result<std::string> bind_http(HttpServer& http, const config::host_port& address) {
  int port = address.port;
  if (port == 0) {
    port = http.bind_to_any_port(address.host);
    if (port < 0) {
      return make_error(sluice::errc::io_error,
                        fmt::format("cannot listen on {}", address.to_string()));
    }
  } else if (!http.bind_to_port(address.host, port)) {
    return make_error(
        sluice::errc::io_error,
        fmt::format("cannot listen on {}: {}", address.to_string(), std::strerror(errno)));
  }
  return config::host_port{address.host, static_cast<uint16_t>(port)}.to_string();
}

}  // namespace sluice::net
