// AWS Signature Version 4 (AWS4-HMAC-SHA256): a sans-I/O verifier for tenet's HTTPS endpoints and a
// signer for tenet's own clients and tests. What is checked, the error codes and the decisions taken
// are in docs/formats/sigv4.md. Every function here is pure (time and credentials are arguments), so
// all of it is safe to call from any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

namespace tenet::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// Failure codes (the AWS error names tenet answers with; the HTTP status is always 403).
inline constexpr std::string_view kIncompleteSignature = "IncompleteSignatureException";
inline constexpr std::string_view kUnrecognizedClient = "UnrecognizedClientException";
inline constexpr std::string_view kInvalidSignature = "InvalidSignatureException";
inline constexpr std::string_view kExpiredToken = "ExpiredTokenException";

// One header line as received: any case, may repeat, value untrimmed.
struct Header {
  std::string_view name;
  std::string_view value;
};

// A request as the HTTP layer received it. Views only; nothing is kept after the call.
struct Request {
  std::string_view method;          // as sent ("GET"); compared case-sensitively by the signature
  std::string_view target;          // raw origin-form request-target: path[?query], still percent-encoded
  std::span<const Header> headers;  // must include Host (for HTTP/2, pass :authority as "host")
  std::string_view body;            // the complete body (after any transfer decoding)
};

struct Credential {
  std::string secret_access_key;
  std::string session_token;  // empty: a long-term key, which must not be sent with a token
  bool active = true;         // false: treated exactly like an unknown key
};

// Called at most once per verify(), with the access key id from the request (untrusted text).
// Must not throw: verify() does not catch.
using CredentialLookup = std::function<std::optional<Credential>(std::string_view access_key_id)>;

struct VerifyOptions {
  std::string region;  // the scope region required, unless any_region
  bool any_region = false;
  std::vector<std::string> services;   // accepted scope services, exact match; empty: none
  std::chrono::seconds max_skew{300};  // header form: |now - X-Amz-Date| allowed
  std::chrono::seconds max_presign_expires{604800};
  // Accept X-Amz-Content-SHA256: UNSIGNED-PAYLOAD (the body is then not covered by the signature).
  bool allow_unsigned_payload = true;
  // Limits on untrusted input; exceeding one is IncompleteSignatureException.
  std::size_t max_signed_headers = 64;
  std::size_t max_query_params = 512;
};

struct Identity {
  std::string access_key_id;
  std::string region;
  std::string service;
  bool presigned = false;
  std::chrono::system_clock::time_point signed_at;                  // the request's X-Amz-Date (or Date)
  std::optional<std::chrono::system_clock::time_point> expires_at;  // presigned only
};

struct Failure {
  std::string code;        // one of the k* failure codes above
  std::string message;     // for the client: names the bad header/parameter, never secret material
  std::string log_detail;  // for the server log only (which key; the string to sign); never send it
};

// The outcome of verify(): an Identity or a Failure.
class Verification {
 public:
  Verification(Identity id) : v_(std::move(id)) {}  // NOLINT: implicit by design
  Verification(Failure f) : v_(std::move(f)) {}     // NOLINT
  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  // REQUIRES: ok() / !ok() respectively.
  const Identity& identity() const { return std::get<0>(v_); }
  const Failure& failure() const { return std::get<1>(v_); }

 private:
  std::variant<Identity, Failure> v_;
};

// Verifies the header form (Authorization: AWS4-HMAC-SHA256 ...) or the presigned query form
// (X-Amz-Algorithm=...&X-Amz-Signature=...) of `req` at time `now`. Never throws on any input.
// Failure codes: kIncompleteSignature (missing/malformed/duplicated auth data, a required header not
// signed, over a limit), kUnrecognizedClient (unknown or inactive key, wrong or missing session
// token), kInvalidSignature (mismatch, wrong scope region/service/date, outside the skew window),
// kExpiredToken (presigned URL past X-Amz-Date + X-Amz-Expires).
Verification verify(const Request& req, const CredentialLookup& lookup, const VerifyOptions& options,
                    std::chrono::system_clock::time_point now);

// ---- Client side ----

struct SigningCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
};

// Signs like botocore's SigV4Auth: every header in `headers` (which must contain Host) plus the
// X-Amz-Date and, with a token, X-Amz-Security-Token headers it returns; payload hash = SHA-256 of
// `body` (or the X-Amz-Content-SHA256 value if the caller passes that header). Returns the headers
// to add, in this order: X-Amz-Date, [X-Amz-Security-Token], Authorization.
// Errors: kInvalidArgument (no Host header; headers already holding Authorization, X-Amz-Date or
// X-Amz-Security-Token; empty key id, secret, region or service; target not starting with '/').
core::Result<std::vector<std::pair<std::string, std::string>>> sign(
    std::string_view method, std::string_view target, std::span<const Header> headers, std::string_view body,
    const SigningCredentials& credentials, std::string_view region, std::string_view service,
    std::chrono::system_clock::time_point now);

struct PresignOptions {
  std::chrono::seconds expires{3600};
  // false: X-Amz-Security-Token is signed (botocore). true: appended after signing, as the AWS IoT
  // device SDKs do for MQTT over WebSocket.
  bool token_after_signing = false;
};

// Presigns like botocore's SigV4QueryAuth (payload hash = SHA-256 of the empty body). Returns the new
// request-target: `target`'s path and query followed by X-Amz-Algorithm, X-Amz-Credential,
// X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, [X-Amz-Security-Token], X-Amz-Signature.
// `headers` must contain Host and may contain more headers to sign.
// Errors: kInvalidArgument (as sign(); target already holding X-Amz-* auth parameters;
// expires < 1 s).
core::Result<std::string> presign(std::string_view method, std::string_view target,
                                  std::span<const Header> headers, const SigningCredentials& credentials,
                                  std::string_view region, std::string_view service,
                                  std::chrono::system_clock::time_point now,
                                  const PresignOptions& options = {});

// ---- Building blocks (exposed for tests and reuse) ----

// RFC 3986 percent-encoding: keeps A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash), uppercase hex.
std::string uri_encode(std::string_view s, bool keep_slash);
// Decodes %XX; an invalid escape stays literal. '+' stays '+'.
std::string uri_decode(std::string_view s);
// Raw path -> canonical URI: drop '.', '..' and empty segments, keep a trailing '/', empty -> "/",
// then percent-encode again ("/things/a%3Ab" -> "/things/a%253Ab"), as botocore does (non-S3).
std::string canonical_uri(std::string_view raw_path);
// Raw query (without '?') -> canonical query: each name/value decoded and re-encoded, "name=" for a
// valueless one, sorted by name then value, joined with '&'. Parameters named in `drop` are omitted.
std::string canonical_query(std::string_view raw_query, std::span<const std::string_view> drop = {});
std::string sha256_hex(std::string_view data);
std::array<std::uint8_t, 32> hmac_sha256(std::span<const std::uint8_t> key, std::string_view data);
// kSigning = HMAC chain over "AWS4"+secret, yyyymmdd, region, service, "aws4_request".
std::array<std::uint8_t, 32> signing_key(std::string_view secret, std::string_view yyyymmdd,
                                         std::string_view region, std::string_view service);
std::string hex(std::span<const std::uint8_t> bytes);
// "yyyymmddTHHMMSSZ" <-> time (UTC, whole seconds). parse returns nullopt on any malformed input
// and on years outside 1970..2200 (also for parse_http_date).
std::string format_amz_date(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view s);
// RFC 7231 IMF-fixdate as botocore writes a Date header ("Wed, 25 Nov 2026 07:00:00 GMT" or
// "... -0000"/"+0000"). nullopt on anything else.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s);

}  // namespace tenet::sigv4
