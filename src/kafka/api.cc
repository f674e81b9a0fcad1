#include "kafka/api.h"

namespace sluice::kafka {

std::string_view name(api_key k) {
  switch (k) {
    case api_key::produce: return "Produce";
    case api_key::fetch: return "Fetch";
    case api_key::list_offsets: return "ListOffsets";
    case api_key::metadata: return "Metadata";
    case api_key::offset_commit: return "OffsetCommit";
    case api_key::offset_fetch: return "OffsetFetch";
    case api_key::find_coordinator: return "FindCoordinator";
    case api_key::join_group: return "JoinGroup";
    case api_key::heartbeat: return "Heartbeat";
    case api_key::leave_group: return "LeaveGroup";
    case api_key::sync_group: return "SyncGroup";
    case api_key::describe_groups: return "DescribeGroups";
    case api_key::list_groups: return "ListGroups";
    case api_key::api_versions: return "ApiVersions";
    case api_key::create_topics: return "CreateTopics";
    case api_key::delete_topics: return "DeleteTopics";
    case api_key::init_producer_id: return "InitProducerId";
    case api_key::describe_configs: return "DescribeConfigs";
    case api_key::delete_groups: return "DeleteGroups";
    case api_key::offset_delete: return "OffsetDelete";
  }
  return "Unknown";
}

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::malformed: return "malformed request";
    case errc::unsupported_version: return "unsupported version";
    case errc::unknown_api: return "unknown API";
  }
  return "unknown error";
}
std::string_view category_name(errc) { return "kafka"; }

}  // namespace sluice::kafka
