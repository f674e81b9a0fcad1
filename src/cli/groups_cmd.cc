// `sluice groups list|describe|reset-offsets`: consumer groups, their committed offsets and lag,
// through librdkafka's admin API (ListConsumerGroups, DescribeConsumerGroups,
// ListConsumerGroupOffsets, AlterConsumerGroupOffsets) and watermark queries, so it works the
// same against sluice's broker and any Kafka-compatible cluster.
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/kafka_admin.h"
#include "cli/table.h"

namespace sluice::cli {
namespace {

using kafka::timeout_ms;

int fail(const std::string& what) {
  fmt::print(stderr, "sluice groups: {}\n", what);
  return exit_failure;
}

std::string or_dash(int64_t v) { return v < 0 ? "-" : std::to_string(v); }
std::string or_dash(const char* s) { return s == nullptr || *s == '\0' ? "-" : s; }

const char* state_name(rd_kafka_consumer_group_state_t s) {
  return rd_kafka_consumer_group_state_name(s);
}

// DescribeConsumerGroups for one group; `group` points into `ev`, null when the broker says the
// group does not exist.
struct description {
  kafka::event ev;
  const rd_kafka_ConsumerGroupDescription_t* group = nullptr;
};

result<description> describe_group(const kafka::client& c, const std::string& group) {
  kafka::queue q(rd_kafka_queue_new(c.get()));
  const char* id = group.c_str();
  rd_kafka_DescribeConsumerGroups(
      c.get(), &id, 1, c.options(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS).get(), q.get());
  auto ev = c.wait(q.get());
  if (!ev) return std::unexpected(std::move(ev.error()));
  size_t n = 0;
  const rd_kafka_ConsumerGroupDescription_t** groups =
      rd_kafka_DescribeConsumerGroups_result_groups(
          rd_kafka_event_DescribeConsumerGroups_result(ev->get()), &n);
  if (n != 1) return make_error(sluice::errc::io_error, "no description of the group came back");
  description d{std::move(*ev), groups[0]};
  if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(d.group)) {
    if (rd_kafka_error_code(e) != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
      return make_error(sluice::errc::io_error,
                        c.explain(rd_kafka_error_code(e), rd_kafka_error_string(e)));
    }
    d.group = nullptr;
  }
  return d;
}

// The group's committed offsets for `partitions`; one without a committed offset has a negative
// offset. (librdkafka 2.0.2 asks for "all partitions" with an empty list, which brokers that
// speak OffsetFetch v5 or older answer with nothing, so callers always name the partitions.)
result<kafka::partition_list> committed_offsets(const kafka::client& c, const std::string& group,
                                                const rd_kafka_topic_partition_list_t* partitions) {
  if (partitions->cnt == 0) return kafka::partition_list(rd_kafka_topic_partition_list_new(0));
  rd_kafka_ListConsumerGroupOffsets_t* req =
      rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), partitions);
  kafka::queue q(rd_kafka_queue_new(c.get()));
  rd_kafka_ListConsumerGroupOffsets(
      c.get(), &req, 1, c.options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS).get(), q.get());
  rd_kafka_ListConsumerGroupOffsets_destroy(req);
  auto ev = c.wait(q.get());
  if (!ev) return std::unexpected(std::move(ev.error()));
  size_t n = 0;
  const rd_kafka_group_result_t** res = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(ev->get()), &n);
  if (n != 1) return make_error(sluice::errc::io_error, "no offsets of the group came back");
  if (const rd_kafka_error_t* e = rd_kafka_group_result_error(res[0])) {
    return make_error(sluice::errc::io_error,
                      c.explain(rd_kafka_error_code(e), rd_kafka_error_string(e)));
  }
  const rd_kafka_topic_partition_list_t* got = rd_kafka_group_result_partitions(res[0]);
  kafka::partition_list out(got != nullptr ? rd_kafka_topic_partition_list_copy(got)
                                           : rd_kafka_topic_partition_list_new(0));
  for (int i = 0; i < out->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = out->elems[i];
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return make_error(sluice::errc::io_error,
                        fmt::format("committed offset of {} [{}]: {}", p.topic, p.partition,
                                    rd_kafka_err2str(p.err)));
    }
  }
  return out;
}

// Every partition of every topic in the cluster.
result<kafka::partition_list> all_partitions(const kafka::client& c) {
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t e = rd_kafka_metadata(c.get(), 1, nullptr, &raw, timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return make_error(sluice::errc::io_error, c.explain(e));
  const kafka::metadata md(raw);
  kafka::partition_list out(rd_kafka_topic_partition_list_new(0));
  for (int i = 0; i < md->topic_cnt; ++i) {
    for (int j = 0; j < md->topics[i].partition_cnt; ++j) {
      rd_kafka_topic_partition_list_add(out.get(), md->topics[i].topic,
                                        md->topics[i].partitions[j].id);
    }
  }
  return out;
}

int list(const kafka::client& c) {
  kafka::queue q(rd_kafka_queue_new(c.get()));
  rd_kafka_ListConsumerGroups(c.get(), c.options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS).get(),
                              q.get());
  auto ev = c.wait(q.get());
  if (!ev) return fail(ev.error().message);
  const auto* res = rd_kafka_event_ListConsumerGroups_result(ev->get());
  size_t n = 0;
  const rd_kafka_ConsumerGroupListing_t** groups =
      rd_kafka_ListConsumerGroups_result_valid(res, &n);
  std::vector<const rd_kafka_ConsumerGroupListing_t*> sorted(groups, groups + n);
  std::ranges::sort(sorted, [](auto* a, auto* b) {
    return std::string_view(rd_kafka_ConsumerGroupListing_group_id(a)) <
           rd_kafka_ConsumerGroupListing_group_id(b);
  });
  for (const auto* g : sorted) {
    fmt::print("{}\t{}\t{}\n", rd_kafka_ConsumerGroupListing_group_id(g),
               state_name(rd_kafka_ConsumerGroupListing_state(g)),
               rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) ? "simple" : "consumer");
  }
  // Brokers that did not answer: the list above may be incomplete.
  size_t n_errors = 0;
  const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(res, &n_errors);
  for (size_t i = 0; i < n_errors; ++i) {
    fail(c.explain(rd_kafka_error_code(errors[i]), rd_kafka_error_string(errors[i])));
  }
  return n_errors == 0 ? exit_ok : exit_failure;
}

// "orders(0,2) users(1)"
std::string partitions_text(const rd_kafka_topic_partition_list_t* parts) {
  if (parts == nullptr || parts->cnt == 0) return "-";
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (int i = 0; i < parts->cnt; ++i) {
    by_topic[parts->elems[i].topic].push_back(parts->elems[i].partition);
  }
  std::string out;
  for (auto& [topic, ids] : by_topic) {
    std::ranges::sort(ids);
    out += (out.empty() ? "" : " ") + topic + "(";
    for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
    out += ")";
  }
  return out;
}

// Per partition the group consumes: its committed offset and the member assigned to it.
struct position {
  int64_t committed = -1;
  std::string member = "-";
};
using positions = std::map<std::pair<std::string, int32_t>, position>;

void print_summary(const std::string& id, const rd_kafka_ConsumerGroupDescription_t* g) {
  const auto state =
      g ? rd_kafka_ConsumerGroupDescription_state(g) : RD_KAFKA_CONSUMER_GROUP_STATE_DEAD;
  std::string coordinator = "-";
  if (const rd_kafka_Node_t* n = g ? rd_kafka_ConsumerGroupDescription_coordinator(g) : nullptr) {
    coordinator = fmt::format("{}:{} ({})", rd_kafka_Node_host(n), rd_kafka_Node_port(n),
                              rd_kafka_Node_id(n));
  }
  print_table(table{
      {"GROUP", "COORDINATOR (ID)", "STATE", "TYPE", "ASSIGNOR", "#MEMBERS"},
      {id, coordinator, state_name(state),
       g && !rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) ? "consumer" : "simple",
       or_dash(g ? rd_kafka_ConsumerGroupDescription_partition_assignor(g) : nullptr),
       std::to_string(g ? rd_kafka_ConsumerGroupDescription_member_count(g) : 0)}});
}

// Prints the members and records in `pos` which partitions each is assigned.
void print_members(const std::string& id, const rd_kafka_ConsumerGroupDescription_t* g,
                   positions& pos) {
  const size_t members = g ? rd_kafka_ConsumerGroupDescription_member_count(g) : 0;
  if (members == 0) {
    fmt::print("group '{}' has no active members\n", id);
    return;
  }
  table rows{{"MEMBER-ID", "CLIENT-ID", "HOST", "INSTANCE-ID", "PARTITIONS"}};
  for (size_t i = 0; i < members; ++i) {
    const rd_kafka_MemberDescription_t* m = rd_kafka_ConsumerGroupDescription_member(g, i);
    const rd_kafka_MemberAssignment_t* a = rd_kafka_MemberDescription_assignment(m);
    const rd_kafka_topic_partition_list_t* parts =
        a ? rd_kafka_MemberAssignment_partitions(a) : nullptr;
    rows.push_back({or_dash(rd_kafka_MemberDescription_consumer_id(m)),
                    or_dash(rd_kafka_MemberDescription_client_id(m)),
                    or_dash(rd_kafka_MemberDescription_host(m)),
                    or_dash(rd_kafka_MemberDescription_group_instance_id(m)),
                    partitions_text(parts)});
    for (int j = 0; parts != nullptr && j < parts->cnt; ++j) {
      pos[{parts->elems[j].topic, parts->elems[j].partition}].member = rows.back()[0];
    }
  }
  print_table(rows);
}

void print_offsets(const kafka::client& c, const std::string& id, const positions& pos) {
  if (pos.empty()) {
    fmt::print("group '{}' has no committed offsets and no assigned partitions\n", id);
    return;
  }
  table rows{{"TOPIC", "PARTITION", "COMMITTED", "LOG-END", "LAG", "MEMBER"}};
  for (const auto& [key, p] : pos) {
    int64_t low = -1, high = -1;
    if (rd_kafka_query_watermark_offsets(c.get(), key.first.c_str(), key.second, &low, &high,
                                         timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      high = -1;
    }
    const bool known = p.committed >= 0 && high >= 0;
    rows.push_back({key.first, std::to_string(key.second), or_dash(p.committed), or_dash(high),
                    known ? std::to_string(high - p.committed) : "-", p.member});
  }
  print_table(rows);
}

int describe(const kafka::client& c, const groups_options& o) {
  auto d = describe_group(c, o.group);
  if (!d) return fail(d.error().message);
  auto everything = all_partitions(c);
  if (!everything) return fail(everything.error().message);
  auto committed = committed_offsets(c, o.group, everything->get());
  if (!committed) return fail(committed.error().message);
  positions pos;
  for (int i = 0; i < (*committed)->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = (*committed)->elems[i];
    if (p.offset >= 0) pos[{p.topic, p.partition}].committed = p.offset;
  }
  // Kafka describes any group id, as Dead when it does not exist.
  const rd_kafka_ConsumerGroupDescription_t* g = d->group;
  if ((g == nullptr ||
       rd_kafka_ConsumerGroupDescription_state(g) == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD) &&
      pos.empty()) {
    return fail(fmt::format("group '{}' does not exist", o.group));
  }
  print_summary(o.group, g);
  fmt::print("\n");
  print_members(o.group, g, pos);
  fmt::print("\n");
  print_offsets(c, o.group, pos);
  return exit_ok;
}

int reset_offsets(const kafka::client& c, const groups_options& o) {
  // The topic's partitions; looking must not create it.
  rd_kafka_topic_t* t = rd_kafka_topic_new(c.get(), o.topic.c_str(), nullptr);
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t e = rd_kafka_metadata(c.get(), 0, t, &raw, timeout_ms);
  rd_kafka_topic_destroy(t);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(c.explain(e));
  const kafka::metadata md(raw);
  const rd_kafka_metadata_topic_t& mt = md->topics[0];
  if (mt.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    return fail(fmt::format("unknown topic '{}'", o.topic));
  }
  if (mt.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(fmt::format("topic '{}': {}", o.topic, rd_kafka_err2str(mt.err)));
  }

  // Kafka accepts commits from outside a group only while it has no members.
  auto d = describe_group(c, o.group);
  if (!d) return fail(d.error().message);
  if (d->group != nullptr) {
    const auto state = rd_kafka_ConsumerGroupDescription_state(d->group);
    if (state != RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY &&
        state != RD_KAFKA_CONSUMER_GROUP_STATE_DEAD) {
      return fail(fmt::format(
          "group '{}' is {} with {} member(s); stop its consumers before resetting its offsets",
          o.group, state_name(state), rd_kafka_ConsumerGroupDescription_member_count(d->group)));
    }
  }

  kafka::partition_list wanted(rd_kafka_topic_partition_list_new(mt.partition_cnt));
  for (int i = 0; i < mt.partition_cnt; ++i) {
    rd_kafka_topic_partition_list_add(wanted.get(), mt.topic, mt.partitions[i].id);
  }
  rd_kafka_topic_partition_list_sort(wanted.get(), nullptr, nullptr);
  auto old = committed_offsets(c, o.group, wanted.get());
  if (!old) return fail(old.error().message);

  // The target of each partition, within [log start, log end].
  std::map<int32_t, std::string> notes;
  for (int i = 0; i < wanted->cnt; ++i) {
    rd_kafka_topic_partition_t& p = wanted->elems[i];
    int64_t low = 0, high = 0;
    if (auto err = rd_kafka_query_watermark_offsets(c.get(), p.topic, p.partition, &low, &high,
                                                    timeout_ms)) {
      return fail(fmt::format("offsets of {} [{}]: {}", p.topic, p.partition, c.explain(err)));
    }
    switch (o.to) {
      case groups_options::to_earliest: p.offset = low; break;
      case groups_options::to_latest: p.offset = high; break;
      case groups_options::to_offset:
        p.offset = std::clamp(o.offset, low, high);
        if (p.offset != o.offset) {
          notes[p.partition] =
              fmt::format(" (clamped: {} is {})", o.offset,
                          o.offset < low ? "before the log start" : "past the log end");
        }
        break;
    }
  }

  rd_kafka_AlterConsumerGroupOffsets_t* req =
      rd_kafka_AlterConsumerGroupOffsets_new(o.group.c_str(), wanted.get());
  kafka::queue q(rd_kafka_queue_new(c.get()));
  rd_kafka_AlterConsumerGroupOffsets(
      c.get(), &req, 1, c.options(RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS).get(), q.get());
  rd_kafka_AlterConsumerGroupOffsets_destroy(req);
  auto ev = c.wait(q.get());
  if (!ev) return fail(ev.error().message);
  size_t n = 0;
  const rd_kafka_group_result_t** res = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(ev->get()), &n);
  if (n != 1) return fail("no result of the offset commit came back");
  if (const rd_kafka_error_t* err = rd_kafka_group_result_error(res[0])) {
    return fail(c.explain(rd_kafka_error_code(err), rd_kafka_error_string(err)));
  }

  int code = exit_ok;
  table rows{{"TOPIC", "PARTITION", "OFFSET"}};
  const rd_kafka_topic_partition_list_t* done = rd_kafka_group_result_partitions(res[0]);
  for (int i = 0; done != nullptr && i < done->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = done->elems[i];
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      code = fail(fmt::format("{} [{}]: {}", p.topic, p.partition, rd_kafka_err2str(p.err)));
      continue;
    }
    const rd_kafka_topic_partition_t* before =
        rd_kafka_topic_partition_list_find(old->get(), p.topic, p.partition);
    rows.push_back({p.topic, std::to_string(p.partition),
                    fmt::format("{} -> {}{}", or_dash(before ? before->offset : -1), p.offset,
                                notes[p.partition])});
  }
  if (rows.size() > 1) print_table(rows);
  return code;
}

}  // namespace

int run_groups(const global_options& g, const groups_options& o) {
  auto cfg = load_config(g);
  if (!cfg) return cfg.error();
  auto c = kafka::connect(kafka::bootstrap_of(*cfg, o.bootstrap));
  if (!c) return fail(c.error().message);
  switch (o.action) {
    case groups_options::list: return list(*c);
    case groups_options::describe: return describe(*c, o);
    case groups_options::reset_offsets: return reset_offsets(*c, o);
  }
  return exit_failure;
}

}  // namespace sluice::cli
