// How a record fetched from an HTTP API becomes the record produced to Kafka: one template per
// output field, declared in the config (or the reference pipeline's, built in). A template is text
// with placeholders: {a.b.c} is the value at that path in the API's record (a string as it is, a
// number or boolean as its JSON text, so randomuser's numeric postcodes become text), {uuid} is a
// fresh random UUID, and {{ and }} are literal braces. A record that lacks a value a template needs
// is an error that names the record, the field and the path, never a silently empty field.
// Compiled once; apply() is const and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sluice::ingest {

enum class errc {
  ok = 0,
  bad_template,  // a template that cannot be compiled
  bad_response,  // an API answer that is not JSON, or lacks its records
  bad_record,    // a record that lacks a value a template needs
};
std::string_view describe(errc e);
std::string_view category_name(errc);

struct field_template {
  std::string field;  // the output record's field name
  std::string text;   // "{location.street.number} {location.street.name}"
};

// The reference pipeline's record (docs: the formatted record): id, first_name, last_name,
// gender, address, post_code, email, username, dob, registered_date, phone, picture.
std::vector<field_template> reference_templates();

class mapping {
 public:
  static result<mapping> compile(const std::vector<field_template>& templates);

  // Each record of an API answer (the array at `records_path`, dot-separated; "results" for
  // randomuser), at most `max`, as a JSON object of the output fields, in template order.
  // Records that fail are counted in `bad` with the first failure's message in `first_error`.
  struct output {
    std::vector<std::string> records;
    size_t bad = 0;
    std::string first_error;
    size_t total = 0;  // records in the answer
  };
  // `padded`: at least 64 readable bytes follow the body (fetcher::get's guarantee), so it is
  // parsed where it is rather than copied.
  result<output> apply(std::string_view body, std::string_view records_path, size_t max,
                       bool padded = false) const;

  [[nodiscard]] const std::vector<std::string>& fields() const { return fields_; }

  mapping(mapping&&) noexcept;
  mapping& operator=(mapping&&) noexcept;
  ~mapping();

  struct compiled;

 private:
  mapping();
  std::vector<std::string> fields_;
  std::unique_ptr<compiled> compiled_;
};

}  // namespace sluice::ingest
