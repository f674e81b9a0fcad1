// The word lists and formats the random-user API draws from, per nationality, modelled on what
// randomuser.me (version 1.4) serves: names, cities and states, streets, postcode, phone and id
// formats. Format strings use '#' for a digit, 'A' for an upper-case letter, and 'a' for a
// lower-case one; every other character is copied. Static data; thread-safe.
#pragma once

#include <span>
#include <string_view>
#include <utility>

namespace sluice::api {

struct place {
  std::string_view city;
  std::string_view state;
};

struct nationality {
  std::string_view code;     // "US", as randomuser's `nat`
  std::string_view country;  // "United States"
  std::span<const std::string_view> male_first;
  std::span<const std::string_view> female_first;
  std::span<const std::string_view> last;
  std::span<const place> places;
  std::span<const std::string_view> streets;
  std::string_view postcode_format;  // e.g. "#####", "A# #AA"
  bool numeric_postcode;             // served as a JSON number (randomuser's quirk), else a string
  std::string_view phone_format;     // e.g. "(###) ###-####"
  std::string_view cell_format;
  std::string_view id_name;    // e.g. "SSN"; empty: randomuser's "" name with a null value
  std::string_view id_format;  // e.g. "###-##-####"
};

// Every nationality served, in a fixed order (the order is part of the output's determinism).
std::span<const nationality> nationalities();
// The nationality with this code (upper case), or nullptr.
const nationality* find_nationality(std::string_view code);

struct timezone_entry {
  std::string_view offset;       // "+5:30", "-10:00", "0:00"
  std::string_view description;  // "Bombay, Calcutta, Madras, New Delhi"
};
std::span<const timezone_entry> timezones();

// Words for usernames ("bluebird", "crazyfrog") and the common passwords randomuser draws from.
std::span<const std::string_view> username_words();
std::span<const std::string_view> passwords();

}  // namespace sluice::api
