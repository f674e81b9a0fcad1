// The schema declarations of every config struct (defined in spec.cc). Internal to the config
// module: declaring them here lets the generic walker in schema.h find each struct's spec.
#pragma once

#include <span>
#include <string_view>

#include "config/config.h"
#include "config/schema.h"

namespace sluice::log {
std::span<const std::string_view> enum_names(level);
std::span<const std::string_view> enum_names(format);
}  // namespace sluice::log

namespace sluice::config {

using schema::object_spec;

std::span<const std::string_view> enum_names(starting_offsets);
std::span<const std::string_view> enum_names(fsync_policy);
std::span<const std::string_view> enum_names(commitlog_sync);
std::span<const std::string_view> enum_names(authenticator);
std::span<const std::string_view> enum_names(codec);
std::span<const std::string_view> enum_names(task_type);
std::span<const std::string_view> enum_names(filter_op);
std::span<const std::string_view> enum_names(extra_fields);

const object_spec<log_section>& spec_for(log_section*);
const object_spec<broker_section>& spec_for(broker_section*);
const object_spec<kafka_section>& spec_for(kafka_section*);
const object_spec<store_user>& spec_for(store_user*);
const object_spec<store_section>& spec_for(store_section*);
const object_spec<cassandra_section>& spec_for(cassandra_section*);
const object_spec<api_section>& spec_for(api_section*);
const object_spec<http_section>& spec_for(http_section*);
const object_spec<metadata_section>& spec_for(metadata_section*);
const object_spec<mapped_field>& spec_for(mapped_field*);
const object_spec<ingest_section>& spec_for(ingest_section*);
const object_spec<schema_column>& spec_for(schema_column*);
const object_spec<filter_condition>& spec_for(filter_condition*);
const object_spec<process_section>& spec_for(process_section*);
const object_spec<pipeline>& spec_for(pipeline*);
const object_spec<task_policy>& spec_for(task_policy*);
const object_spec<task>& spec_for(task*);
const object_spec<dag>& spec_for(dag*);
const object_spec<scheduler_section>& spec_for(scheduler_section*);
const object_spec<config>& spec_for(config*);

}  // namespace sluice::config
