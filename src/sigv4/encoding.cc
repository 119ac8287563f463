// Canonical forms of the request parts, percent-encoding and the two date formats.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sigv4/detail/canonical.h"
#include "sigv4/sigv4.h"

namespace tenet::sigv4 {
namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// Parses exactly `n` decimal digits at s[pos..]; -1 on anything else.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::optional<std::chrono::system_clock::time_point> make_time(int y, int mo, int d, int h, int mi, int sec) {
  using namespace std::chrono;
  // Years outside 1970..2200 are never a request's time, and system_clock (nanoseconds in
  // libstdc++) cannot represent all of 0000..9999.
  if (y < 1970 || y > 2200 || mo < 1 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
      sec > 59) {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return time_point_cast<system_clock::duration>(sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec});
}

}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2 + 4);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string uri_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string canonical_uri(std::string_view raw_path) {
  // botocore.utils.remove_dot_segments, then quote(safe='/~').
  if (raw_path.empty()) return "/";
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= raw_path.size()) {
    std::size_t end = raw_path.find('/', start);
    if (end == std::string_view::npos) end = raw_path.size();
    const std::string_view seg = raw_path.substr(start, end - start);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    start = end + 1;
  }
  std::string path;
  if (raw_path.front() == '/') path.push_back('/');
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i > 0) path.push_back('/');
    path.append(out[i]);
  }
  if (raw_path.back() == '/' && !out.empty()) path.push_back('/');
  return uri_encode(path, /*keep_slash=*/true);
}

std::string canonical_query(std::string_view raw_query, std::span<const std::string_view> drop) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto& p : detail::parse_query(raw_query, std::string_view::npos - 1)) {
    if (std::find(drop.begin(), drop.end(), std::string_view(p.name)) != drop.end()) continue;
    pairs.emplace_back(uri_encode(p.name, false), uri_encode(p.value, false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out.push_back('&');
    out.append(k).append("=").append(v);
  }
  return out;
}

std::string format_amz_date(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day_start = floor<days>(secs);
  const year_month_day ymd{day_start};
  const hh_mm_ss hms{secs - day_start};
  std::array<char, 32> buf{};
  const int n =
      std::snprintf(buf.data(), buf.size(), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                    static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                    static_cast<int>(hms.seconds().count()));
  return std::string(buf.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  const int y = digits(s, 0, 4), mo = digits(s, 4, 2), d = digits(s, 6, 2);
  const int h = digits(s, 9, 2), mi = digits(s, 11, 2), sec = digits(s, 13, 2);
  return make_time(y, mo, d, h, mi, sec);
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s) {
  // "Wed, 25 Nov 2026 07:00:00 GMT" (IMF-fixdate) or with "-0000"/"+0000" (email.utils.formatdate).
  static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() < 29) return std::nullopt;
  if (std::find(kDays.begin(), kDays.end(), s.substr(0, 3)) == kDays.end()) return std::nullopt;
  if (s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
      s[25] != ' ') {
    return std::nullopt;
  }
  const std::string_view zone = s.substr(26);
  if (zone != "GMT" && zone != "-0000" && zone != "+0000") return std::nullopt;
  const auto m = std::find(kMonths.begin(), kMonths.end(), s.substr(8, 3));
  if (m == kMonths.end()) return std::nullopt;
  const int mo = static_cast<int>(m - kMonths.begin()) + 1;
  return make_time(digits(s, 12, 4), mo, digits(s, 5, 2), digits(s, 17, 2), digits(s, 20, 2),
                   digits(s, 23, 2));
}

namespace detail {

SplitTarget split_target(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_lower_token(std::string_view s) {
  if (s.empty()) return false;
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || kExtra.find(c) != std::string_view::npos;
  });
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && is_space(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_space(v.back())) v.remove_suffix(1);
  return v;
}

std::string trimall(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (const char c : trim(v)) {
    if (is_space(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::optional<std::string> joined_header(std::span<const Header> headers, std::string_view lname) {
  std::optional<std::string> out;
  for (const Header& h : headers) {
    if (!iequals(h.name, lname)) continue;
    if (out) {
      out->push_back(',');
      out->append(trimall(h.value));
    } else {
      out = trimall(h.value);
    }
  }
  return out;
}

std::size_t count_headers(std::span<const Header> headers, std::string_view lname) {
  return static_cast<std::size_t>(
      std::count_if(headers.begin(), headers.end(), [&](const Header& h) { return iequals(h.name, lname); }));
}

std::string canonical_headers(std::span<const Header> headers, std::span<const std::string_view> names) {
  std::string out;
  for (const std::string_view name : names) {
    out.append(name).push_back(':');
    out.append(joined_header(headers, name).value_or(std::string())).push_back('\n');
  }
  return out;
}

std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, std::string_view canonical_headers,
                              std::string_view signed_headers, std::string_view payload_hash) {
  std::string cr;
  cr.reserve(method.size() + canonical_uri.size() + canonical_query.size() + canonical_headers.size() +
             signed_headers.size() + payload_hash.size() + 8);
  cr.append(method).push_back('\n');
  cr.append(canonical_uri).push_back('\n');
  cr.append(canonical_query).push_back('\n');
  cr.append(canonical_headers).push_back('\n');
  cr.append(signed_headers).push_back('\n');
  cr.append(payload_hash);
  return cr;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string sts(kAlgorithm);
  sts.push_back('\n');
  sts.append(amz_date).push_back('\n');
  sts.append(scope).push_back('\n');
  sts.append(sha256_hex(canonical_request));
  return sts;
}

std::vector<QueryParam> parse_query(std::string_view raw_query, std::size_t limit) {
  std::vector<QueryParam> out;
  std::size_t start = 0;
  while (start <= raw_query.size() && out.size() <= limit) {
    std::size_t end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    const std::string_view piece = raw_query.substr(start, end - start);
    if (!piece.empty()) {
      const std::size_t eq = piece.find('=');
      if (eq == std::string_view::npos) {
        out.push_back({uri_decode(piece), std::string()});
      } else {
        out.push_back({uri_decode(piece.substr(0, eq)), uri_decode(piece.substr(eq + 1))});
      }
    }
    start = end + 1;
  }
  return out;
}

}  // namespace detail
}  // namespace tenet::sigv4
