#include "api/generator.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <iterator>
#include <random>

#include <fmt/format.h>

#include "api/data.h"
#include "base/civil_date.h"
#include "base/json_text.h"

namespace sluice::api {

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::invalid_request: return "invalid request";
  }
  return "unknown";
}
std::string_view category_name(errc) { return "api"; }

namespace {

// splitmix64: small, fast, and the same on every platform.
class rng {
 public:
  explicit rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  int64_t between(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1)));
  }
  template <class T>
  const T& pick(std::span<const T> items) {
    return items[below(items.size())];
  }

 private:
  uint64_t state_;
};

uint64_t fnv1a(std::string_view s, uint64_t h = 0xcbf29ce484222325ULL) {
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string_view part =
        s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// Whether `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF); the seed is echoed into the JSON answer.
bool valid_utf8(std::string_view s) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = at(i);
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c < 0x80) {
      n = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const unsigned char b = at(i + k);
      if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
      } else {
        out.push_back(s[i]);
      }
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// A format: '#' a digit, 'A' an upper-case letter, 'a' a lower-case one.
std::string fill(std::string_view format, rng& r, bool no_leading_zero = false) {
  std::string out;
  for (char c : format) {
    if (c == '#') {
      const bool first_digit = no_leading_zero && out.empty();
      out.push_back(static_cast<char>('0' + (first_digit ? r.between(1, 9) : r.below(10))));
    } else if (c == 'A') {
      out.push_back(static_cast<char>('A' + r.below(26)));
    } else if (c == 'a') {
      out.push_back(static_cast<char>('a' + r.below(26)));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// An email address's local part from a name, as randomuser.me writes it: lower case, accents
// folded to ASCII ("Çörekçi" -> "corekci"), without spaces and apostrophes.
std::string email_part(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> folds[] = {
      {"à", "a"}, {"á", "a"},  {"â", "a"}, {"ã", "a"}, {"ä", "a"},  {"å", "a"}, {"æ", "ae"},
      {"ç", "c"}, {"č", "c"},  {"ć", "c"}, {"è", "e"}, {"é", "e"},  {"ê", "e"}, {"ë", "e"},
      {"ì", "i"}, {"í", "i"},  {"î", "i"}, {"ï", "i"}, {"ı", "i"},  {"ñ", "n"}, {"ò", "o"},
      {"ó", "o"}, {"ô", "o"},  {"õ", "o"}, {"ö", "o"}, {"ø", "o"},  {"ù", "u"}, {"ú", "u"},
      {"û", "u"}, {"ü", "u"},  {"ý", "y"}, {"ÿ", "y"}, {"ß", "ss"}, {"đ", "d"}, {"ğ", "g"},
      {"ş", "s"}, {"š", "s"},  {"ž", "z"}, {"À", "a"}, {"Á", "a"},  {"Â", "a"}, {"Ä", "a"},
      {"Å", "a"}, {"Æ", "ae"}, {"Ç", "c"}, {"Č", "c"}, {"Ć", "c"},  {"È", "e"}, {"É", "e"},
      {"Ê", "e"}, {"Í", "i"},  {"İ", "i"}, {"Ñ", "n"}, {"Ó", "o"},  {"Ö", "o"}, {"Ø", "o"},
      {"Ú", "u"}, {"Ü", "u"},  {"Đ", "d"}, {"Ğ", "g"}, {"Ş", "s"},  {"Š", "s"}, {"Ž", "z"}};
  std::string out;
  for (size_t i = 0; i < name.size();) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      if (c != ' ' && c != '\'' && c != '"') {
        out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a')
                                           : static_cast<char>(c));
      }
      ++i;
      continue;
    }
    bool folded = false;
    for (const auto& [from, to] : folds) {
      if (name.substr(i).starts_with(from)) {
        out += to;
        i += from.size();
        folded = true;
        break;
      }
    }
    if (!folded) {  // another letter: kept as it is
      const size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      out.append(name.substr(i, n));
      i += n;
    }
  }
  return out;
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// `v` zero-padded to `width` digits (0 <= v < 10^width).
void append_padded(std::string& out, int64_t v, int width) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

// v / 10^4 with four decimals ("-12.0500"), exactly as "{:.4f}" prints that quotient.
void append_fixed4(std::string& out, int64_t v) {
  if (v < 0) out.push_back('-');
  const int64_t a = v < 0 ? -v : v;
  append_int(out, a / 10000);
  out.push_back('.');
  append_padded(out, a % 10000, 4);
}

void append_iso_time(std::string& out, int64_t ms) {
  constexpr int64_t ms_per_day = 86'400'000;
  const int64_t days = ms >= 0 ? ms / ms_per_day : (ms - (ms_per_day - 1)) / ms_per_day;
  const int64_t in_day = ms - days * ms_per_day;
  const civil_date d = civil_from_days(days);
  if (d.year >= 0 && d.year <= 9999) {
    append_padded(out, d.year, 4);
  } else {
    fmt::format_to(std::back_inserter(out), "{:04}", d.year);
  }
  out.push_back('-');
  append_padded(out, d.month, 2);
  out.push_back('-');
  append_padded(out, d.day, 2);
  out.push_back('T');
  append_padded(out, in_day / 3'600'000, 2);
  out.push_back(':');
  append_padded(out, in_day / 60'000 % 60, 2);
  out.push_back(':');
  append_padded(out, in_day / 1000 % 60, 2);
  out.push_back('.');
  append_padded(out, in_day % 1000, 3);
  out.push_back('Z');
}

// Whole years from `from_days` to `to_days` (days since the epoch).
int64_t years_between(int64_t from_days, int64_t to_days) {
  const civil_date a = civil_from_days(from_days);
  const civil_date b = civil_from_days(to_days);
  int64_t years = b.year - a.year;
  if (b.month < a.month || (b.month == a.month && b.day < a.day)) --years;
  return years;
}

void append_hex(std::string& s, uint8_t byte) {
  static constexpr char digits[] = "0123456789abcdef";
  s.push_back(digits[byte >> 4]);
  s.push_back(digits[byte & 0x0F]);
}

// The login's digests. The algorithms are fetched once: OpenSSL 3 would otherwise look each up
// in its provider registry, under a lock, on every call; one context per thread is reused.
struct digests {
  EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
};
const digests& algorithms() {
  static const digests d;
  return d;
}

void append_digest_hex(std::string& out, const EVP_MD* md, std::string_view data) {
  struct context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~context() { EVP_MD_CTX_free(ctx); }
  };
  static thread_local context c;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (md == nullptr || c.ctx == nullptr || EVP_DigestInit_ex2(c.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(c.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(c.ctx, digest, &n) != 1) {
    n = 0;  // no such algorithm in this OpenSSL (a FIPS-only build lacks MD5): an empty digest
  }
  for (unsigned i = 0; i < n; ++i) append_hex(out, digest[i]);
}

std::array<uint8_t, 16> uuid_v4(rng& r) {
  std::array<uint8_t, 16> b;
  for (int i = 0; i < 16; i += 8) {
    const uint64_t x = r.next();
    for (int j = 0; j < 8; ++j) b[i + j] = static_cast<uint8_t>(x >> (8 * j));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);
  return b;
}

void append_uuid(std::string& s, const std::array<uint8_t, 16>& b) {
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    append_hex(s, b[i]);
  }
}

bool wanted(const request& q, std::string_view field) {
  if (!q.include.empty() && std::ranges::find(q.include, field) == q.include.end()) return false;
  return std::ranges::find(q.exclude, field) == q.exclude.end();
}

// One user, as randomuser.me writes it (its field order).
void user(std::string& out, const request& q, std::span<const nationality* const> nats,
          uint64_t stream, int64_t today) {
  rng r(stream);
  const nationality& n = *nats[r.below(nats.size())];
  const bool male = q.gender.empty() ? r.below(2) == 0 : q.gender == "male";
  const std::string_view first = male ? r.pick(n.male_first) : r.pick(n.female_first);
  const std::string_view last = r.pick(n.last);
  static constexpr std::string_view female_titles[] = {"Ms", "Mrs", "Miss"};
  static constexpr std::string_view french_female_titles[] = {"Madame", "Mademoiselle"};
  std::string_view title = "Mr";
  if (!male) {
    title = (n.code == "FR" || n.code == "CH") && r.below(2) == 0
                ? r.pick(std::span<const std::string_view>(french_female_titles))
                : r.pick(std::span<const std::string_view>(female_titles));
  } else if ((n.code == "FR" || n.code == "CH") && r.below(3) == 0) {
    title = "Monsieur";
  }
  const place& where = r.pick(n.places);
  const std::string_view street = r.pick(n.streets);
  const int64_t street_number = r.between(1, 9999);
  const std::string postcode = fill(n.postcode_format, r, n.numeric_postcode);
  const int64_t latitude = r.between(-900000, 900000);  // in 10^-4 degrees
  const int64_t longitude = r.between(-1800000, 1800000);
  const timezone_entry& tz = r.pick(timezones());
  const std::array<uint8_t, 16> login_uuid = uuid_v4(r);
  // Drawn number first, then the second word, then the first: the order the answers have always
  // had, which users' stored fixtures may depend on.
  const int64_t username_number = r.between(100, 999);
  const std::string_view word2 = r.pick(username_words());
  const std::string_view word1 = r.pick(username_words());
  const std::string_view password = r.pick(passwords());
  char salt[8];
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (char& c : salt) c = alphabet[r.below(alphabet.size())];
  // Born 18 to 78 years, registered 1 to 20 years, before 2024-01-01: dates do not move with
  // the day the API runs (its bytes stay the same for a seed); ages do.
  constexpr int64_t reference_day = 19'723;
  const int64_t dob_ms =
      (reference_day - r.between(18 * 365 + 5, 78 * 365)) * 86'400'000 + r.between(0, 86'399'999);
  const int64_t reg_ms =
      (reference_day - r.between(366, 20 * 365)) * 86'400'000 + r.between(0, 86'399'999);
  const std::string phone = fill(n.phone_format, r);
  const std::string cell = fill(n.cell_format, r);
  const std::string id_value = n.id_name.empty() ? std::string() : fill(n.id_format, r);
  const int64_t portrait = r.between(0, 99);
  const std::string_view folder = male ? "men" : "women";

  // Written straight into the answer, in randomuser.me's field order.
  std::string& u = out;
  u += '{';
  const size_t opened = u.size();
  auto field = [&](std::string_view name) {
    if (u.size() > opened) u += ',';
    append_json_string(u, name);
    u += ':';
  };
  if (wanted(q, "gender")) {
    field("gender");
    append_json_string(u, male ? "male" : "female");
  }
  if (wanted(q, "name")) {
    field("name");
    u += "{\"title\":";
    append_json_string(u, title);
    u += ",\"first\":";
    append_json_string(u, first);
    u += ",\"last\":";
    append_json_string(u, last);
    u += '}';
  }
  if (wanted(q, "location")) {
    field("location");
    u += "{\"street\":{\"number\":";
    append_int(u, street_number);
    u += ",\"name\":";
    append_json_string(u, street);
    u += "},\"city\":";
    append_json_string(u, where.city);
    u += ",\"state\":";
    append_json_string(u, where.state);
    u += ",\"country\":";
    append_json_string(u, n.country);
    u += ",\"postcode\":";
    if (n.numeric_postcode) {
      u += postcode;
    } else {
      append_json_string(u, postcode);
    }
    u += ",\"coordinates\":{\"latitude\":\"";
    append_fixed4(u, latitude);
    u += "\",\"longitude\":\"";
    append_fixed4(u, longitude);
    u += "\"},\"timezone\":{\"offset\":";
    append_json_string(u, tz.offset);
    u += ",\"description\":";
    append_json_string(u, tz.description);
    u += "}}";
  }
  if (wanted(q, "email")) {
    field("email");
    std::string email = email_part(first);
    email += '.';
    email += email_part(last);
    email += "@example.com";
    append_json_string(u, email);
  }
  if (wanted(q, "login")) {
    field("login");
    u += "{\"uuid\":\"";
    append_uuid(u, login_uuid);
    u += "\",\"username\":\"";
    u += word1;
    u += word2;
    append_int(u, username_number);
    u += "\",\"password\":";
    append_json_string(u, password);
    u += ",\"salt\":\"";
    u.append(salt, sizeof salt);
    std::string salted(password);
    salted.append(salt, sizeof salt);
    const digests& d = algorithms();
    u += "\",\"md5\":\"";
    append_digest_hex(u, d.md5, salted);
    u += "\",\"sha1\":\"";
    append_digest_hex(u, d.sha1, salted);
    u += "\",\"sha256\":\"";
    append_digest_hex(u, d.sha256, salted);
    u += "\"}";
  }
  auto dated = [&](std::string_view name, int64_t ms) {
    field(name);
    u += "{\"date\":\"";
    append_iso_time(u, ms);
    u += "\",\"age\":";
    append_int(u, years_between(ms / 86'400'000, today));
    u += '}';
  };
  if (wanted(q, "dob")) dated("dob", dob_ms);
  if (wanted(q, "registered")) dated("registered", reg_ms);
  if (wanted(q, "phone")) {
    field("phone");
    append_json_string(u, phone);
  }
  if (wanted(q, "cell")) {
    field("cell");
    append_json_string(u, cell);
  }
  if (wanted(q, "id")) {
    field("id");
    u += "{\"name\":";
    append_json_string(u, n.id_name);
    u += ",\"value\":";
    if (n.id_name.empty()) {
      u += "null";
    } else {
      append_json_string(u, id_value);
    }
    u += '}';
  }
  if (wanted(q, "picture")) {
    field("picture");
    for (std::string_view size : {"", "med/", "thumb/"}) {
      u += size.empty() ? "{\"large\":" : size == "med/" ? ",\"medium\":" : ",\"thumbnail\":";
      u += "\"https://randomuser.me/api/portraits/";
      u += size;
      u += folder;
      u += '/';
      append_int(u, portrait);
      u += ".jpg\"";
    }
    u += '}';
  }
  if (wanted(q, "nat")) {
    field("nat");
    append_json_string(u, n.code);
  }
  u += '}';
}

}  // namespace

result<request> parse_query(std::string_view query) {
  request q;
  auto bad = [](std::string message) {
    return make_error(errc::invalid_request, std::move(message));
  };
  size_t start = 0;
  while (start < query.size()) {
    const size_t amp = query.find('&', start);
    const std::string_view pair =
        query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    start = amp == std::string_view::npos ? query.size() : amp + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string key = lower(url_decode(pair.substr(0, eq)));
    const std::string value = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    auto number = [&](int& out, int lo) -> result<void> {
      int v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || p != value.data() + value.size() || v < lo) {
        return bad(
            fmt::format("{} must be a whole number of at least {}, got '{}'", key, lo, value));
      }
      out = v;
      return {};
    };
    if (key == "results") {
      SLUICE_TRY(number(q.results, 1));
      q.results = std::min(q.results, max_results);  // as randomuser.me, more gives its maximum
    } else if (key == "page") {
      SLUICE_TRY(number(q.page, 1));
    } else if (key == "seed") {
      if (!valid_utf8(value)) return bad("seed must be UTF-8 text");
      q.seed = value;
    } else if (key == "gender") {
      const std::string g = lower(value);
      if (!g.empty() && g != "male" && g != "female") {
        return bad(fmt::format("gender must be male or female, got '{}'", value));
      }
      q.gender = g;
    } else if (key == "nat") {
      for (auto& c : split_list(upper(value))) q.nat.push_back(std::move(c));
    } else if (key == "inc") {
      for (auto& f : split_list(lower(value))) q.include.push_back(std::move(f));
    } else if (key == "exc") {
      for (auto& f : split_list(lower(value))) q.exclude.push_back(std::move(f));
    }
  }
  return q;
}

generator::generator(int64_t today_days) : today_days_(today_days) {}

std::string generator::respond(const request& req) const {
  request q = req;
  if (q.seed.empty()) {
    static thread_local std::mt19937_64 fresh(std::random_device{}());
    q.seed = fmt::format("{:016x}", fresh());
  }
  // The nationalities asked for (unknown codes are ignored, as randomuser.me does), else all.
  std::vector<const nationality*> nats;
  for (const auto& code : q.nat) {
    if (const nationality* n = find_nationality(code)) nats.push_back(n);
  }
  if (nats.empty()) {
    for (const auto& n : nationalities()) nats.push_back(&n);
  }
  const uint64_t base = fnv1a(q.seed);
  std::string out;
  out.reserve(static_cast<size_t>(q.results) * 1200 + 128);
  out += "{\"results\":[";
  // Each user's stream is the FNV-1a hash of "page/i/gender/nat,nat", fed in three parts.
  const uint64_t page_hash = fnv1a(fmt::format("{}/", q.page), base);
  const std::string tail = fmt::format("/{}/{}", q.gender, fmt::join(q.nat, ","));
  for (int i = 0; i < q.results; ++i) {
    if (i > 0) out += ",";
    char digits[16];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, i);
    const uint64_t stream =
        fnv1a(tail, fnv1a(std::string_view(digits, static_cast<size_t>(end - digits)), page_hash));
    user(out, q, nats, stream, today_days_);
  }
  out += "],\"info\":{\"seed\":";
  append_json_string(out, q.seed);
  fmt::format_to(std::back_inserter(out), ",\"results\":{},\"page\":{},\"version\":\"1.4\"}}}}",
                 q.results, q.page);
  return out;
}

int64_t days_today() {
  return std::chrono::duration_cast<std::chrono::days>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice::api
