// Server-side verification of the header and presigned forms (docs/formats/sigv4.md).
#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <openssl/crypto.h>

#include "sigv4/detail/canonical.h"
#include "sigv4/sigv4.h"

namespace tenet::sigv4 {
namespace {

using Clock = std::chrono::system_clock;
using detail::iequals;

constexpr std::string_view kBadCredentials = "The security token included in the request is invalid.";
constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method.";

// Client text quoted in messages: bounded and printable, so logs and responses stay sane.
std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 64;
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const char c = s[i];
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (s.size() > kMax) out.append("...");
  out.push_back('\'');
  return out;
}

Failure fail(std::string_view code, std::string message, std::string log_detail = {}) {
  return Failure{std::string(code), std::move(message), std::move(log_detail)};
}

std::string skew_text(std::chrono::seconds s) {
  if (s.count() % 60 == 0) return std::to_string(s.count() / 60) + " min.";
  return std::to_string(s.count()) + " sec.";
}

bool is_lower_hex(std::string_view s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool ct_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// What the client claims, from either form, before any check against the server's state.
struct Claim {
  bool presigned = false;
  std::string credential;      // AKID/yyyymmdd/region/service/aws4_request
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;
  std::string amz_date;  // yyyymmddTHHMMSSZ, as it enters the string to sign
  Clock::time_point signed_at;
  std::string date_header;  // header form: the signed header that carries the time
  std::chrono::seconds expires{0};
  std::optional<std::string> token;
  bool token_in_query = false;
};

struct Scope {
  std::string_view akid, date, region, service, terminator;
};

std::optional<Scope> split_credential(std::string_view c) {
  std::array<std::string_view, 5> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    const std::size_t slash = c.find('/', start);
    if ((i < 4) == (slash == std::string_view::npos)) return std::nullopt;
    const std::size_t end = i < 4 ? slash : c.size();
    parts[i] = c.substr(start, end - start);
    if (parts[i].empty()) return std::nullopt;
    start = end + 1;
  }
  return Scope{parts[0], parts[1], parts[2], parts[3], parts[4]};
}

// Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
std::optional<Failure> parse_authorization(std::string_view value, Claim& claim) {
  value = detail::trim(value);
  const std::size_t sp = value.find_first_of(" \t");
  const std::string_view algorithm = value.substr(0, sp);
  if (algorithm != kAlgorithm) {
    return fail(kIncompleteSignature, "Authorization header algorithm " + quoted(algorithm) +
                                          " is not supported; expected AWS4-HMAC-SHA256.");
  }
  std::string_view rest = sp == std::string_view::npos ? std::string_view() : value.substr(sp + 1);
  bool have_cred = false, have_sh = false, have_sig = false;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = detail::trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return fail(kIncompleteSignature,
                  "Authorization header component " + quoted(item) + " is not of the form key=value.");
    }
    const std::string_view key = item.substr(0, eq);
    const std::string_view val = item.substr(eq + 1);
    bool* seen = nullptr;
    std::string* dest = nullptr;
    if (key == "Credential") {
      seen = &have_cred, dest = &claim.credential;
    } else if (key == "SignedHeaders") {
      seen = &have_sh, dest = &claim.signed_headers;
    } else if (key == "Signature") {
      seen = &have_sig, dest = &claim.signature;
    } else {
      return fail(kIncompleteSignature, "Authorization header has an unknown component " + quoted(key) +
                                            "; expected Credential, SignedHeaders and Signature.");
    }
    if (*seen) {
      return fail(kIncompleteSignature,
                  "Authorization header repeats the '" + std::string(key) + "' component.");
    }
    *seen = true;
    *dest = std::string(val);
  }
  for (auto [seen, name] : {std::pair{have_cred, "Credential"}, std::pair{have_sh, "SignedHeaders"},
                            std::pair{have_sig, "Signature"}}) {
    if (!seen) {
      return fail(kIncompleteSignature,
                  std::string("Authorization header requires '") + name + "' parameter.");
    }
  }
  return std::nullopt;
}

std::optional<Failure> parse_header_form(const Request& req, const Header& auth, Claim& claim) {
  if (auto f = parse_authorization(auth.value, claim)) return f;
  const std::size_t n_amz = detail::count_headers(req.headers, "x-amz-date");
  if (n_amz > 1) return fail(kIncompleteSignature, "The request has more than one X-Amz-Date header.");
  if (n_amz == 1) {
    const std::string v = *detail::joined_header(req.headers, "x-amz-date");
    const auto t = parse_amz_date(v);
    if (!t) {
      return fail(kIncompleteSignature,
                  "X-Amz-Date header " + quoted(v) + " is not a date of the form yyyymmddTHHMMSSZ.");
    }
    claim.signed_at = *t;
    claim.amz_date = v;
    claim.date_header = "x-amz-date";
  } else {
    const std::size_t n_date = detail::count_headers(req.headers, "date");
    if (n_date == 0) {
      return fail(kIncompleteSignature,
                  "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    const std::string v = *detail::joined_header(req.headers, "date");
    const auto t = n_date == 1 ? parse_http_date(v) : std::nullopt;
    if (!t) {
      return fail(kIncompleteSignature, "Date header " + quoted(v) +
                                            " is not an HTTP date such as 'Wed, 25 Nov 2026 07:00:00 GMT'.");
    }
    claim.signed_at = *t;
    claim.amz_date = format_amz_date(*t);
    claim.date_header = "date";
  }
  const std::size_t n_tok = detail::count_headers(req.headers, "x-amz-security-token");
  if (n_tok > 1)
    return fail(kIncompleteSignature, "The request has more than one X-Amz-Security-Token header.");
  if (n_tok == 1) claim.token = detail::joined_header(req.headers, "x-amz-security-token");
  return std::nullopt;
}

std::optional<Failure> parse_query_form(const Request& req, const std::vector<detail::QueryParam>& params,
                                        const VerifyOptions& opt, Claim& claim) {
  claim.presigned = true;
  auto find = [&](std::string_view name, std::optional<std::string>& out) -> std::optional<Failure> {
    for (const auto& p : params) {
      if (p.name != name) continue;
      if (out)
        return fail(kIncompleteSignature,
                    "The query string repeats the '" + std::string(name) + "' parameter.");
      out = p.value;
    }
    return std::nullopt;
  };
  std::optional<std::string> alg, cred, date, expires, sh, sig, token;
  for (auto [name, dest] : {std::pair{"X-Amz-Algorithm", &alg}, std::pair{"X-Amz-Credential", &cred},
                            std::pair{"X-Amz-Date", &date}, std::pair{"X-Amz-Expires", &expires},
                            std::pair{"X-Amz-SignedHeaders", &sh}, std::pair{"X-Amz-Signature", &sig},
                            std::pair{"X-Amz-Security-Token", &token}}) {
    if (auto f = find(name, *dest)) return f;
    if (!*dest && dest != &token) {
      return fail(kIncompleteSignature, std::string("AWS query-string parameters must include '") + name +
                                            "'. Re-examine the query-string parameters.");
    }
  }
  if (*alg != kAlgorithm) {
    return fail(kIncompleteSignature,
                "X-Amz-Algorithm " + quoted(*alg) + " is not supported; expected AWS4-HMAC-SHA256.");
  }
  const auto t = parse_amz_date(*date);
  if (!t) {
    return fail(kIncompleteSignature,
                "X-Amz-Date parameter " + quoted(*date) + " is not a date of the form yyyymmddTHHMMSSZ.");
  }
  const std::string& e = *expires;
  const bool numeric = !e.empty() && e.size() <= 9 &&
                       std::all_of(e.begin(), e.end(), [](char c) { return c >= '0' && c <= '9'; });
  const long long secs = numeric ? std::stoll(e) : 0;
  if (!numeric || secs < 1 || secs > opt.max_presign_expires.count()) {
    return fail(kIncompleteSignature, "X-Amz-Expires " + quoted(e) +
                                          " must be a whole number of seconds from 1 to " +
                                          std::to_string(opt.max_presign_expires.count()) + ".");
  }
  claim.credential = std::move(*cred);
  claim.signed_headers = std::move(*sh);
  claim.signature = std::move(*sig);
  claim.amz_date = std::move(*date);
  claim.signed_at = *t;
  claim.expires = std::chrono::seconds(secs);
  if (token) {
    claim.token = std::move(token);
    claim.token_in_query = true;
  } else {
    const std::size_t n_tok = detail::count_headers(req.headers, "x-amz-security-token");
    if (n_tok > 1)
      return fail(kIncompleteSignature, "The request has more than one X-Amz-Security-Token header.");
    if (n_tok == 1) claim.token = detail::joined_header(req.headers, "x-amz-security-token");
  }
  return std::nullopt;
}

// SignedHeaders: lowercase tokens, strictly ascending (so unique), within the limit.
std::optional<Failure> split_signed_headers(std::string_view list, const VerifyOptions& opt,
                                            std::vector<std::string_view>& out) {
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(';', start);
    if (end == std::string_view::npos) end = list.size();
    const std::string_view name = list.substr(start, end - start);
    if (!detail::is_lower_token(name)) {
      return fail(kIncompleteSignature,
                  "SignedHeaders " + quoted(list) + " must be lowercase header names separated by ';'.");
    }
    if (!out.empty() && !(out.back() < name)) {
      return fail(kIncompleteSignature,
                  "SignedHeaders " + quoted(list) + " must be sorted and without repeats.");
    }
    if (out.size() == opt.max_signed_headers) {
      return fail(kIncompleteSignature,
                  "SignedHeaders names more than " + std::to_string(opt.max_signed_headers) + " headers.");
    }
    out.push_back(name);
    start = end + 1;
  }
  return std::nullopt;
}

bool contains(const std::vector<std::string_view>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Verification verify_impl(const Request& req, const CredentialLookup& lookup, const VerifyOptions& opt,
                         Clock::time_point now) {
  const auto [path, raw_query] = detail::split_target(req.target);
  const auto params = detail::parse_query(raw_query, opt.max_query_params);
  if (params.size() > opt.max_query_params) {
    return fail(kIncompleteSignature,
                "The query string has more than " + std::to_string(opt.max_query_params) + " parameters.");
  }
  const bool query_form = std::any_of(params.begin(), params.end(), [](const detail::QueryParam& p) {
    return p.name == "X-Amz-Algorithm" || p.name == "X-Amz-Credential" || p.name == "X-Amz-Signature";
  });
  const std::size_t n_auth = detail::count_headers(req.headers, "authorization");

  // 1. What does the client claim?
  Claim claim;
  if (n_auth > 0 && query_form) {
    return fail(kIncompleteSignature,
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the "
                "Authorization header should be specified.");
  }
  if (n_auth > 1) return fail(kIncompleteSignature, "The request has more than one Authorization header.");
  if (n_auth == 1) {
    const auto it = std::find_if(req.headers.begin(), req.headers.end(),
                                 [](const Header& h) { return iequals(h.name, "authorization"); });
    if (auto f = parse_header_form(req, *it, claim)) return *f;
  } else if (query_form) {
    if (auto f = parse_query_form(req, params, opt, claim)) return *f;
  } else {
    return fail(kIncompleteSignature,
                "Missing Authentication Token: the request has neither an Authorization header nor "
                "X-Amz-* presigned query parameters.");
  }

  // 2. Syntax of the credential, signature and signed headers.
  const auto scope = split_credential(claim.credential);
  if (!scope) {
    return fail(kIncompleteSignature,
                "Credential " + quoted(claim.credential) +
                    " must have the form <AccessKeyId>/<yyyymmdd>/<region>/<service>/aws4_request.");
  }
  if (!is_lower_hex(claim.signature, 64)) {
    return fail(kIncompleteSignature, "Signature must be 64 lowercase hexadecimal characters.");
  }
  std::vector<std::string_view> signed_names;
  if (auto f = split_signed_headers(claim.signed_headers, opt, signed_names)) return *f;
  if (!contains(signed_names, "host")) {
    return fail(kIncompleteSignature, "'Host' must be a signed header (add 'host' to SignedHeaders).");
  }
  if (!claim.presigned && !contains(signed_names, claim.date_header)) {
    return fail(kIncompleteSignature,
                "'" + claim.date_header + "' must be a signed header (add it to SignedHeaders).");
  }
  if (claim.token && !claim.token_in_query && !contains(signed_names, "x-amz-security-token")) {
    return fail(
        kIncompleteSignature,
        "'x-amz-security-token' must be a signed header when the X-Amz-Security-Token header is sent.");
  }
  const std::size_t n_sha = detail::count_headers(req.headers, "x-amz-content-sha256");
  if (n_sha > 1)
    return fail(kIncompleteSignature, "The request has more than one X-Amz-Content-SHA256 header.");
  if (n_sha == 1 && !contains(signed_names, "x-amz-content-sha256")) {
    return fail(
        kIncompleteSignature,
        "'x-amz-content-sha256' must be a signed header when the X-Amz-Content-SHA256 header is sent.");
  }
  for (const std::string_view name : signed_names) {
    if (detail::count_headers(req.headers, name) == 0) {
      return fail(kIncompleteSignature,
                  "Signed header '" + std::string(name) + "' is missing from the request.");
    }
  }

  // 3. Scope against the server's configuration, then time.
  if (scope->terminator != detail::kTerminator) {
    return fail(kInvalidSignature,
                "Credential should be scoped with a valid terminator: 'aws4_request', not " +
                    quoted(scope->terminator) + ".");
  }
  if (scope->date != std::string_view(claim.amz_date).substr(0, 8)) {
    return fail(kInvalidSignature, "Date in Credential scope " + quoted(scope->date) +
                                       " does not match the date of the request " + quoted(claim.amz_date) +
                                       ".");
  }
  if (!opt.any_region && scope->region != opt.region) {
    return fail(kInvalidSignature, "Credential should be scoped to a valid region, not " +
                                       quoted(scope->region) + ". Expected '" + opt.region + "'.");
  }
  if (std::find(opt.services.begin(), opt.services.end(), scope->service) == opt.services.end()) {
    std::string accepted;
    for (const auto& s : opt.services) accepted += (accepted.empty() ? "'" : ", '") + s + "'";
    return fail(kInvalidSignature,
                "Credential should be scoped to correct service: " + quoted(scope->service) +
                    ". Accepted: " + (accepted.empty() ? "none" : accepted) + ".");
  }
  const auto secs_now = std::chrono::floor<std::chrono::seconds>(now);
  if (claim.signed_at > secs_now + opt.max_skew) {
    return fail(kInvalidSignature, "Signature not yet current: " + claim.amz_date + " is still later than " +
                                       format_amz_date(secs_now + opt.max_skew) + " (" +
                                       format_amz_date(secs_now) + " + " + skew_text(opt.max_skew) + ")");
  }
  std::optional<Clock::time_point> expires_at;
  if (claim.presigned) {
    expires_at = claim.signed_at + claim.expires;
    if (secs_now > *expires_at) {
      return fail(kExpiredToken, "Request has expired: X-Amz-Date " + claim.amz_date + " + X-Amz-Expires " +
                                     std::to_string(claim.expires.count()) +
                                     " s = " + format_amz_date(*expires_at) + " is earlier than now, " +
                                     format_amz_date(secs_now) + ".");
    }
  } else if (claim.signed_at < secs_now - opt.max_skew) {
    return fail(kInvalidSignature, "Signature expired: " + claim.amz_date + " is now earlier than " +
                                       format_amz_date(secs_now - opt.max_skew) + " (" +
                                       format_amz_date(secs_now) + " - " + skew_text(opt.max_skew) + ")");
  }

  // 4. The key and its token.
  std::optional<Credential> cred = lookup ? lookup(scope->akid) : std::nullopt;
  if (!cred || !cred->active) {
    return fail(kUnrecognizedClient, std::string(kBadCredentials),
                "access key id " + quoted(scope->akid) + (cred ? " is inactive" : " is unknown"));
  }
  if (cred->session_token.empty() && claim.token) {
    return fail(kUnrecognizedClient, std::string(kBadCredentials),
                "a session token was sent with long-term access key id " + quoted(scope->akid));
  }
  if (!cred->session_token.empty() && !claim.token) {
    return fail(kUnrecognizedClient, std::string(kBadCredentials),
                "temporary access key id " + quoted(scope->akid) + " was used without X-Amz-Security-Token");
  }
  if (claim.token && !ct_equal(*claim.token, cred->session_token)) {
    return fail(kUnrecognizedClient, std::string(kBadCredentials),
                "wrong session token for access key id " + quoted(scope->akid));
  }

  // 5. Payload hash candidates.
  std::vector<std::string> payloads;
  if (n_sha == 1) {
    const std::string v = *detail::joined_header(req.headers, "x-amz-content-sha256");
    if (v == kUnsignedPayload) {
      if (!opt.allow_unsigned_payload) {
        return fail(kInvalidSignature,
                    "X-Amz-Content-SHA256: UNSIGNED-PAYLOAD is not accepted by this server.");
      }
    } else if (!is_lower_hex(v, 64)) {
      return fail(kIncompleteSignature,
                  "X-Amz-Content-SHA256 " + quoted(v) +
                      " must be UNSIGNED-PAYLOAD or the lowercase hex SHA-256 of the body.");
    } else if (v != sha256_hex(req.body)) {
      return fail(kInvalidSignature,
                  "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    payloads.push_back(v);
  } else {
    payloads.push_back(sha256_hex(req.body));
    // Presigned URLs are signed over the (empty) body by botocore but over UNSIGNED-PAYLOAD by the
    // S3-style presigners some SDKs reuse; the signature says which one the signer committed to.
    if (claim.presigned && opt.allow_unsigned_payload) payloads.emplace_back(kUnsignedPayload);
  }

  // 6. Canonical request candidates and the signature.
  std::vector<std::string> queries;
  if (claim.presigned) {
    constexpr std::array<std::string_view, 1> kDropSig = {"X-Amz-Signature"};
    constexpr std::array<std::string_view, 2> kDropSigToken = {"X-Amz-Signature", "X-Amz-Security-Token"};
    queries.push_back(canonical_query(raw_query, kDropSig));
    // AWS IoT device SDKs append X-Amz-Security-Token after signing a WebSocket URL.
    if (claim.token_in_query) queries.push_back(canonical_query(raw_query, kDropSigToken));
  } else {
    queries.push_back(canonical_query(raw_query));
  }
  const std::string uri = canonical_uri(path);
  const std::string headers = detail::canonical_headers(req.headers, signed_names);
  const std::string scope_text = claim.credential.substr(scope->akid.size() + 1);
  const auto key = signing_key(cred->secret_access_key, scope->date, scope->region, scope->service);
  std::string first_sts;
  bool match = false;
  for (const auto& q : queries) {
    for (const auto& p : payloads) {
      const std::string cr = detail::canonical_request(req.method, uri, q, headers, claim.signed_headers, p);
      std::string sts = detail::string_to_sign(claim.amz_date, scope_text, cr);
      match |= ct_equal(hex(hmac_sha256(key, sts)), claim.signature);
      if (first_sts.empty()) first_sts = std::move(sts);
    }
  }
  if (!match) {
    std::replace(first_sts.begin(), first_sts.end(), '\n', '|');
    return fail(kInvalidSignature, std::string(kMismatch),
                "access key id " + quoted(scope->akid) + "; string to sign: " + first_sts);
  }
  return Identity{std::string(scope->akid),
                  std::string(scope->region),
                  std::string(scope->service),
                  claim.presigned,
                  claim.signed_at,
                  expires_at};
}

}  // namespace

Verification verify(const Request& req, const CredentialLookup& lookup, const VerifyOptions& options,
                    Clock::time_point now) {
  return verify_impl(req, lookup, options, now);
}

}  // namespace tenet::sigv4
