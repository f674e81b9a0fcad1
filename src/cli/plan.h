// What `sluice up` starts for a given config, in start order (dependencies first). Computed as a
// value so that it can be printed, tested, and turned into a service_group.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace sluice::cli {

struct planned_part {
  std::string name;      // "broker"
  std::string role;      // "Kafka-compatible broker"
  std::string endpoint;  // where it listens or connects
  std::string detail;    // data directory, DAGs, stages
};

std::vector<planned_part> plan(const config::config& c);

// The plan as aligned text, one part per line.
std::string format_plan(const std::vector<planned_part>& parts);

}  // namespace sluice::cli
