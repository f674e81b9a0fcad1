// ApiVersions (key 18): which APIs and versions a broker serves. Clients send it first.
#pragma once

#include "kafka/codec.h"

namespace sluice::kafka {

struct api_versions_request {
  std::string client_software_name;
  std::string client_software_version;

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(3);
  static constexpr auto fields() {
    using r = api_versions_request;
    return std::tuple{field("client_software_name", &r::client_software_name, since(3)),
                      field("client_software_version", &r::client_software_version, since(3))};
  }
};

struct api_versions_response {
  struct api {
    api_key key{};
    int16_t min_version = 0;
    int16_t max_version = 0;
    static constexpr auto fields() {
      return std::tuple{field("api_key", &api::key, since(0)),
                        field("min_version", &api::min_version, since(0)),
                        field("max_version", &api::max_version, since(0))};
    }
  };
  error_code error = error_code::none;
  std::vector<api> apis;
  int32_t throttle_time_ms = 0;

  static constexpr versions valid = between(0, 3);
  static constexpr versions flexible = since(3);
  static constexpr auto fields() {
    using r = api_versions_response;
    return std::tuple{field("error_code", &r::error, since(0)),
                      field("api_keys", &r::apis, since(0)),
                      field("throttle_time_ms", &r::throttle_time_ms, since(1))};
  }
};

}  // namespace sluice::kafka
