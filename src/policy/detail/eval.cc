#include "policy/detail/eval.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <ctime>

namespace tenet::policy::detail {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int* out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

const char* const kAltKinds[] = {"RFC822Name", "DNSName", "DirectoryName", "UniformResourceIdentifier",
                                 "IPAddress"};

const std::vector<std::string>& alt_list(const AlternativeNames& a, int kind) {
  switch (kind) {
    case 0: return a.rfc822_name;
    case 1: return a.dns_name;
    case 2: return a.directory_name;
    case 3: return a.uniform_resource_identifier;
    default: return a.ip_address;
  }
}

// Splits "Name", "Name.3", "Name.List" into (name, index or -1 for List).
struct Indexed {
  std::string_view name;
  int index = 0;
  bool list = false;
  bool ok = true;
};
Indexed split_index(std::string_view s) {
  Indexed r;
  r.name = s;
  const auto dot = s.rfind('.');
  if (dot == std::string_view::npos) return r;
  const std::string_view suffix = s.substr(dot + 1);
  if (iequals(suffix, "List")) {
    r.name = s.substr(0, dot);
    r.list = true;
    return r;
  }
  int idx = 0;
  auto [p, ec] = std::from_chars(suffix.data(), suffix.data() + suffix.size(), idx);
  if (ec == std::errc() && p == suffix.data() + suffix.size() && !suffix.empty()) {
    r.name = s.substr(0, dot);
    r.index = idx;
  }
  return r;
}

std::vector<std::string> pick(const std::vector<std::string>& all, const Indexed& ix) {
  if (ix.list) {
    return std::vector<std::string>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(
                                                                   std::min(all.size(), kMaxListItems)));
  }
  if (ix.index < 0 || static_cast<std::size_t>(ix.index) >= std::min(all.size(), kMaxListItems)) return {};
  return {all[static_cast<std::size_t>(ix.index)]};
}

void add_dn_keys(const DistinguishedName& dn, std::string_view prefix, std::vector<std::string>* out) {
  for (const auto& [attr, value] : dn) {
    std::string k = std::string(prefix) + attr;
    bool seen = false;
    for (const auto& e : *out) seen = seen || e == k;
    if (!seen) out->push_back(std::move(k));
  }
}

void add_alt_keys(const AlternativeNames& a, std::string_view prefix, std::vector<std::string>* out) {
  for (int k = 0; k < 5; ++k) {
    if (!alt_list(a, k).empty()) out->push_back(std::string(prefix) + kAltKinds[k]);
  }
}

bool contains_any(std::string_view s, std::string_view chars) noexcept {
  return s.find_first_of(chars) != std::string_view::npos;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

std::optional<double> parse_number(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  double v = 0;
  const char* b = s.data();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_date_ms(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  if (s.find('-', 1) == std::string_view::npos && s.find(':') == std::string_view::npos) {
    std::int64_t secs = 0;  // epoch seconds
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    if (secs > (std::int64_t{1} << 42) || secs < -(std::int64_t{1} << 42)) return std::nullopt;
    return secs * 1000;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  std::size_t pos = 10;
  std::int64_t ms = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
    if (!digits(s, pos + 1, 2, &h) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, &mi)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, &se)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        int scale = 100;
        const std::size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          ms += (s[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start) return std::nullopt;
      }
    }
    if (h > 23 || mi > 59 || se > 60) return std::nullopt;
  }
  std::int64_t offset_min = 0;
  if (pos < s.size()) {
    if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
      pos = s.size();
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0, om = 0;
      const int sign = s[pos] == '-' ? -1 : 1;
      if (!digits(s, pos + 1, 2, &oh)) return std::nullopt;
      std::size_t q = pos + 3;
      if (q < s.size() && s[q] == ':') ++q;
      if (q < s.size()) {
        if (!digits(s, q, 2, &om)) return std::nullopt;
        q += 2;
      }
      if (q != s.size() || oh > 23 || om > 59) return std::nullopt;
      offset_min = sign * (oh * 60 + om);
      pos = s.size();
    } else {
      return std::nullopt;
    }
  }
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + se) - offset_min * 60) * 1000 + ms;
}

namespace {
bool parse_ip(std::string_view s, IpNet* out) noexcept {
  char buf[64];
  if (s.empty() || s.size() >= sizeof buf) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (s.find(':') == std::string_view::npos) {
    out->v6 = false;
    return inet_pton(AF_INET, buf, out->addr.data()) == 1;
  }
  out->v6 = true;
  if (inet_pton(AF_INET6, buf, out->addr.data()) != 1) return false;
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is treated as the IPv4 address.
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out->addr.data(), kMapped, 12) == 0) {
    std::memmove(out->addr.data(), out->addr.data() + 12, 4);
    out->v6 = false;
  }
  return true;
}
}  // namespace

std::optional<IpNet> parse_cidr(std::string_view s) noexcept {
  IpNet n;
  const auto slash = s.find('/');
  if (!parse_ip(s.substr(0, slash), &n)) return std::nullopt;
  const int max = n.v6 ? 128 : 32;
  n.prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view p = s.substr(slash + 1);
    int bits = -1;
    auto [e, ec] = std::from_chars(p.data(), p.data() + p.size(), bits);
    if (p.empty() || ec != std::errc() || e != p.data() + p.size() || bits < 0 || bits > max) {
      return std::nullopt;
    }
    n.prefix = bits;
  }
  return n;
}

bool cidr_contains(const IpNet& net, std::string_view address) noexcept {
  IpNet a;
  if (!parse_ip(address, &a) || a.v6 != net.v6) return false;
  const int full = net.prefix / 8;
  if (std::memcmp(a.addr.data(), net.addr.data(), static_cast<std::size_t>(full)) != 0) return false;
  const int rest = net.prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.addr[static_cast<std::size_t>(full)] & mask) == (net.addr[static_cast<std::size_t>(full)] & mask);
}

bool is_request_key(std::string_view key) noexcept {
  return iequals(key, "aws:CurrentTime") || iequals(key, "aws:EpochTime");
}

std::string_view format_request_key(std::string_view key, std::chrono::system_clock::time_point now,
                                    std::span<char, 40> buf) noexcept {
  const std::int64_t secs =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (iequals(key, "aws:EpochTime")) {
    auto [p, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), secs);
    return ec == std::errc() ? std::string_view(buf.data(), static_cast<std::size_t>(p - buf.data()))
                             : std::string_view();
  }
  if (iequals(key, "aws:CurrentTime")) {
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    if (gmtime_r(&t, &tm) == nullptr) return {};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string_view(buf.data(), n);
  }
  return {};
}

// ---- Resolver ----

Resolver::Lookup Resolver::lookup(std::string_view key) const {
  Lookup r;
  auto one = [&](const std::string& v) {
    if (!v.empty()) r.values.push_back(v);
  };
  if (iequals(key, "iot:ClientId")) {
    one(ctx_.client_id);
  } else if (iequals(key, "aws:SourceIp")) {
    one(ctx_.source_ip);
  } else if (iequals(key, "iot:DomainName")) {
    one(ctx_.domain_name);
  } else if (istarts_with(key, "iot:Connection.Thing.")) {
    const std::string_view rest = key.substr(std::string_view("iot:Connection.Thing.").size());
    if (!ctx_.thing) return r;
    const ThingInfo& t = *ctx_.thing;
    if (iequals(rest, "ThingName")) {
      one(t.name);
    } else if (iequals(rest, "ThingTypeName")) {
      one(t.type_name);
    } else if (iequals(rest, "IsAttached")) {
      r.values.emplace_back(t.is_attached ? "true" : "false");
    } else if (istarts_with(rest, "Attributes[") && rest.back() == ']') {
      const std::string_view name = rest.substr(11, rest.size() - 12);
      if (auto it = t.attributes.find(std::string(name)); it != t.attributes.end()) one(it->second);
    }
  } else if (iequals(key, "iot:ConnectAttributes")) {
    r.multi = true;
    if (ctx_.persistent_connect) r.values.emplace_back("PersistentConnect");
    if (ctx_.last_will) r.values.emplace_back("LastWill");
  } else if (istarts_with(key, "iot:Certificate.")) {
    r.certificate = true;
    if (!ctx_.certificate) return r;
    const CertificateInfo& c = *ctx_.certificate;
    const std::string_view rest = key.substr(std::string_view("iot:Certificate.").size());
    if (iequals(rest, "SerialNumber")) {
      one(c.serial_number);
      return r;
    }
    if (iequals(rest, "AvailableKeys")) {
      r.multi = true;
      std::vector<std::string> keys;
      add_dn_keys(c.subject, "iot:Certificate.Subject.", &keys);
      add_dn_keys(c.issuer, "iot:Certificate.Issuer.", &keys);
      add_alt_keys(c.subject_alternative_names, "iot:Certificate.Subject.AlternativeName.", &keys);
      add_alt_keys(c.issuer_alternative_names, "iot:Certificate.Issuer.AlternativeName.", &keys);
      if (!c.serial_number.empty()) keys.emplace_back("iot:Certificate.SerialNumber");
      r.values = std::move(keys);
      return r;
    }
    const bool subject = istarts_with(rest, "Subject.");
    const bool issuer = istarts_with(rest, "Issuer.");
    if (!subject && !issuer) return r;
    std::string_view field = rest.substr(subject ? 8 : 7);
    const Indexed ix = split_index(field);
    r.multi = ix.list;
    if (istarts_with(ix.name, "AlternativeName.")) {
      const std::string_view kind = ix.name.substr(16);
      const AlternativeNames& alt = subject ? c.subject_alternative_names : c.issuer_alternative_names;
      for (int k = 0; k < 5; ++k) {
        if (iequals(kind, kAltKinds[k])) r.values = pick(alt_list(alt, k), ix);
      }
      return r;
    }
    const DistinguishedName& dn = subject ? c.subject : c.issuer;
    std::vector<std::string> all;
    for (const auto& [attr, value] : dn) {
      if (iequals(attr, ix.name)) all.push_back(value);
    }
    r.values = pick(all, ix);
  } else {
    for (const auto& [k, vs] : ctx_.extra_keys) {
      if (iequals(k, key)) {
        r.values = vs;
        r.multi = vs.size() > 1;
        break;
      }
    }
  }
  return r;
}

std::vector<std::string> Resolver::key_values(std::string_view key) const { return lookup(key).values; }

VarValue Resolver::variable(std::string_view name) const {
  VarValue v;
  if (!vars_) {
    v.note = "variables are substituted only in Version 2012-10-17 documents";
    return v;
  }
  if (is_request_key(name)) {
    v.note = "request-scoped key; not substituted";
    return v;
  }
  Lookup l = lookup(name);
  if (l.multi) {
    v.note = "multi-valued; use it as a condition key with ForAllValues/ForAnyValue";
    return v;
  }
  if (l.values.empty()) {
    v.note = "no value for this connection";
    return v;
  }
  const std::string& value = l.values.front();
  if (contains_any(value, "*?")) {
    v.note = "value contains a wildcard character";
    return v;
  }
  if (l.certificate) {
    if (contains_any(value, "$+#")) {
      v.note = "certificate value contains $, + or #";
      return v;
    }
    if (value.size() > kMaxSubstitutedChars) {
      v.note = "certificate value longer than 1024 characters";
      return v;
    }
    for (char c : value) {
      if (std::string_view(",\"\\=<>;").find(c) != std::string_view::npos) v.value += '\\';
      v.value += c;
    }
  } else {
    v.value = value;
  }
  v.resolved = true;
  return v;
}

Glob substitute(const Template& t, const Resolver& r, bool* poisoned,
                std::vector<Explanation::Variable>* trace) {
  Glob g;
  for (const TemplatePart& p : t.parts) {
    switch (p.kind) {
      case TemplatePart::Kind::kLiteral:
        g.append_literal(p.text);
        break;
      case TemplatePart::Kind::kStar:
        g.append_star();
        break;
      case TemplatePart::Kind::kQuestion:
        g.append_one();
        break;
      case TemplatePart::Kind::kVariable: {
        VarValue v = r.variable(p.text);
        if (trace) trace->push_back({p.text, v.resolved, v.value, v.note});
        if (v.resolved) {
          g.append_literal(v.value);
        } else {
          *poisoned = true;
          g.append_literal("${" + p.text + "}");
        }
        break;
      }
    }
  }
  return g;
}

// ---- conditions ----

namespace {

enum class Family { kString, kStringIgnoreCase, kLike, kNumeric, kDate, kBool, kIp, kArn, kNull };

struct OpInfo {
  Family family;
  bool negated;
  int cmp;  // numeric/date: 0 eq, 1 lt, 2 le, 3 gt, 4 ge
};

OpInfo info(ConditionOp op) noexcept {
  switch (op) {
    case ConditionOp::kStringEquals: return {Family::kString, false, 0};
    case ConditionOp::kStringNotEquals: return {Family::kString, true, 0};
    case ConditionOp::kStringEqualsIgnoreCase: return {Family::kStringIgnoreCase, false, 0};
    case ConditionOp::kStringNotEqualsIgnoreCase: return {Family::kStringIgnoreCase, true, 0};
    case ConditionOp::kStringLike: return {Family::kLike, false, 0};
    case ConditionOp::kStringNotLike: return {Family::kLike, true, 0};
    case ConditionOp::kNumericEquals: return {Family::kNumeric, false, 0};
    case ConditionOp::kNumericNotEquals: return {Family::kNumeric, true, 0};
    case ConditionOp::kNumericLessThan: return {Family::kNumeric, false, 1};
    case ConditionOp::kNumericLessThanEquals: return {Family::kNumeric, false, 2};
    case ConditionOp::kNumericGreaterThan: return {Family::kNumeric, false, 3};
    case ConditionOp::kNumericGreaterThanEquals: return {Family::kNumeric, false, 4};
    case ConditionOp::kDateEquals: return {Family::kDate, false, 0};
    case ConditionOp::kDateNotEquals: return {Family::kDate, true, 0};
    case ConditionOp::kDateLessThan: return {Family::kDate, false, 1};
    case ConditionOp::kDateLessThanEquals: return {Family::kDate, false, 2};
    case ConditionOp::kDateGreaterThan: return {Family::kDate, false, 3};
    case ConditionOp::kDateGreaterThanEquals: return {Family::kDate, false, 4};
    case ConditionOp::kBool: return {Family::kBool, false, 0};
    case ConditionOp::kIpAddress: return {Family::kIp, false, 0};
    case ConditionOp::kNotIpAddress: return {Family::kIp, true, 0};
    case ConditionOp::kArnEquals: return {Family::kArn, false, 0};
    case ConditionOp::kArnNotEquals: return {Family::kArn, true, 0};
    case ConditionOp::kArnLike: return {Family::kArn, false, 0};
    case ConditionOp::kArnNotLike: return {Family::kArn, true, 0};
    case ConditionOp::kNull: return {Family::kNull, false, 0};
  }
  return {Family::kString, false, 0};
}

bool compare(double a, double b, int cmp) noexcept {
  switch (cmp) {
    case 0: return a == b;
    case 1: return a < b;
    case 2: return a <= b;
    case 3: return a > b;
    default: return a >= b;
  }
}

// ARN operators compare the six colon-separated components separately, each as a glob
// (the last component, the resource, may itself contain colons).
bool arn_match(const Glob& pattern, std::string_view value) noexcept {
  const std::string_view p = pattern.chars();
  std::size_t pstart = 0;
  std::size_t vstart = 0;
  for (int comp = 0; comp < 6; ++comp) {
    std::size_t pend = p.size();
    std::size_t vend = value.size();
    if (comp < 5) {
      pend = p.find(':', pstart);
      vend = value.find(':', vstart);
      if (pend == std::string_view::npos || vend == std::string_view::npos) {
        return comp == 0 && pattern.match(value);  // not ARN-shaped: whole-string glob
      }
    }
    if (!pattern.match_range(pstart, pend, value.substr(vstart, vend - vstart))) return false;
    pstart = pend + 1;
    vstart = vend + 1;
  }
  return true;
}

bool value_matches(const OpInfo& oi, std::string_view v, const Operand& o) noexcept {
  switch (oi.family) {
    case Family::kString: return v == o.glob.chars();
    case Family::kStringIgnoreCase: return iequals(v, o.glob.chars());
    case Family::kLike: return o.glob.match(v);
    case Family::kNumeric: {
      const auto n = parse_number(v);
      return n && o.parsed && compare(*n, o.number, oi.cmp);
    }
    case Family::kDate: {
      const auto d = parse_date_ms(v);
      return d && o.parsed && compare(static_cast<double>(*d), o.number, oi.cmp);
    }
    case Family::kBool: return o.parsed && (iequals(v, "true") ? o.boolean : (iequals(v, "false") && !o.boolean));
    case Family::kIp: return o.parsed && cidr_contains(o.net, v);
    case Family::kArn: return arn_match(o.glob, v);
    case Family::kNull: return false;
  }
  return false;
}

}  // namespace

Operand make_operand(ConditionOp op, Glob value, bool poisoned, std::string* error) {
  Operand o;
  o.poisoned = poisoned;
  o.glob = std::move(value);
  if (poisoned) return o;
  const std::string_view text = o.glob.chars();
  auto fail = [&](std::string_view what) {
    if (error == nullptr) return;
    error->assign(1, '"');  // built by appends: GCC 12 -Wrestrict false positive on literal + string
    error->append(text);
    error->append("\" is not ");
    error->append(what);
  };
  switch (info(op).family) {
    case Family::kNumeric:
      if (auto n = parse_number(text)) {
        o.number = *n;
        o.parsed = true;
      } else {
        fail("a number");
      }
      break;
    case Family::kDate:
      if (auto d = parse_date_ms(text)) {
        o.number = static_cast<double>(*d);
        o.parsed = true;
      } else {
        fail("a date (ISO 8601 or epoch seconds)");
      }
      break;
    case Family::kBool:
    case Family::kNull:
      if (iequals(text, "true") || iequals(text, "false")) {
        o.boolean = iequals(text, "true");
        o.parsed = true;
      } else {
        fail("true or false");
      }
      break;
    case Family::kIp:
      if (auto n = parse_cidr(text)) {
        o.net = *n;
        o.parsed = true;
      } else {
        fail("an IP address or CIDR block");
      }
      break;
    case Family::kString:
    case Family::kStringIgnoreCase:
    case Family::kLike:
    case Family::kArn:
      o.parsed = true;
      break;
  }
  return o;
}

std::vector<Operand> bind_operands(const Condition& c, const Resolver& r,
                                   std::vector<Explanation::Variable>* trace) {
  std::vector<Operand> out;
  out.reserve(c.values.size());
  for (const Template& t : c.values) {
    bool poisoned = false;
    Glob g = substitute(t, r, &poisoned, trace);
    out.push_back(make_operand(c.op, std::move(g), poisoned));
  }
  return out;
}

bool eval_condition(const Condition& c, std::span<const Operand> operands,
                    std::span<const std::string_view> key_values, bool in_deny) noexcept {
  const OpInfo oi = info(c.op);
  const bool present = !key_values.empty();
  if (oi.family == Family::kNull) {
    for (const Operand& o : operands) {
      if (o.parsed && o.boolean == !present) return true;
    }
    return false;
  }
  if (!present) {
    if (c.if_exists) return true;
    switch (c.qualifier) {
      case SetQualifier::kForAllValues: return true;  // vacuous truth, as IAM
      case SetQualifier::kForAnyValue: return false;
      case SetQualifier::kNone: return oi.negated;  // IAM: a negated operator holds for a missing key
    }
  }
  if (oi.negated && !in_deny) {
    // Fail closed: an Allow must not be granted through "not equal to <something unresolved>".
    for (const Operand& o : operands) {
      if (o.poisoned) return false;
    }
  }
  // Per key value: positive = equals/matches some operand; negated = matches none.
  auto holds = [&](std::string_view v) noexcept {
    bool any = false;
    for (const Operand& o : operands) {
      if (!o.poisoned && value_matches(oi, v, o)) {
        any = true;
        break;
      }
    }
    return oi.negated ? !any : any;
  };
  switch (c.qualifier) {
    case SetQualifier::kForAllValues:
      for (std::string_view v : key_values) {
        if (!holds(v)) return false;
      }
      return true;
    case SetQualifier::kForAnyValue:
      for (std::string_view v : key_values) {
        if (holds(v)) return true;
      }
      return false;
    case SetQualifier::kNone:
      if (oi.negated) {
        for (std::string_view v : key_values) {
          if (!holds(v)) return false;
        }
        return true;
      }
      for (std::string_view v : key_values) {
        if (holds(v)) return true;
      }
      return false;
  }
  return false;
}

}  // namespace tenet::policy::detail
