// Client-side signing, shaped after botocore's SigV4Auth and SigV4QueryAuth.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "sigv4/detail/canonical.h"
#include "sigv4/sigv4.h"

namespace tenet::sigv4 {
namespace {

using core::Errc;
using detail::iequals;

// The signer's view of the headers: lowercase name -> values in order.
struct HeaderSet {
  std::vector<Header> all;              // the caller's headers plus ours, for canonical_headers()
  std::vector<std::string> names;       // lowercase, sorted, unique
  std::vector<std::string_view> views;  // views of names
  std::string signed_list;              // "host;x-amz-date"
};

core::Result<void> check_inputs(std::string_view target, std::span<const Header> headers,
                                const SigningCredentials& c, std::string_view region,
                                std::string_view service) {
  if (c.access_key_id.empty() || c.secret_access_key.empty() || region.empty() || service.empty()) {
    return core::fail(Errc::kInvalidArgument,
                      "sigv4: access key id, secret, region and service are required");
  }
  if (target.empty() || target.front() != '/') {
    return core::fail(Errc::kInvalidArgument, "sigv4: the request-target must start with '/'");
  }
  if (detail::count_headers(headers, "host") != 1) {
    return core::fail(Errc::kInvalidArgument, "sigv4: exactly one Host header is required");
  }
  for (const Header& h : headers) {
    if (!detail::is_lower_token(detail::to_lower(h.name))) {
      return core::fail(Errc::kInvalidArgument, "sigv4: invalid header name '" + std::string(h.name) + "'");
    }
    for (std::string_view reserved : {"authorization", "x-amz-date", "x-amz-security-token"}) {
      if (iequals(h.name, reserved)) {
        return core::fail(Errc::kInvalidArgument,
                          "sigv4: the caller must not pass " + std::string(h.name) + "; sign() sets it");
      }
    }
  }
  return {};
}

HeaderSet collect(std::span<const Header> headers, std::span<const Header> extra) {
  HeaderSet hs;
  hs.all.assign(headers.begin(), headers.end());
  hs.all.insert(hs.all.end(), extra.begin(), extra.end());
  for (const Header& h : hs.all) hs.names.push_back(detail::to_lower(h.name));
  std::sort(hs.names.begin(), hs.names.end());
  hs.names.erase(std::unique(hs.names.begin(), hs.names.end()), hs.names.end());
  for (const auto& n : hs.names) {
    hs.views.push_back(n);
    if (!hs.signed_list.empty()) hs.signed_list.push_back(';');
    hs.signed_list.append(n);
  }
  return hs;
}

std::string signature_of(const SigningCredentials& c, std::string_view date8, std::string_view region,
                         std::string_view service, std::string_view sts) {
  return hex(hmac_sha256(signing_key(c.secret_access_key, date8, region, service), sts));
}

}  // namespace

core::Result<std::vector<std::pair<std::string, std::string>>> sign(
    std::string_view method, std::string_view target, std::span<const Header> headers, std::string_view body,
    const SigningCredentials& credentials, std::string_view region, std::string_view service,
    std::chrono::system_clock::time_point now) {
  if (auto ok = check_inputs(target, headers, credentials, region, service); !ok) {
    return core::fail(std::move(ok).error());
  }
  const std::string amz_date = format_amz_date(now);
  const std::string_view date8 = std::string_view(amz_date).substr(0, 8);
  std::vector<Header> extra = {{"X-Amz-Date", amz_date}};
  if (!credentials.session_token.empty())
    extra.push_back({"X-Amz-Security-Token", credentials.session_token});
  const HeaderSet hs = collect(headers, extra);

  const auto payload = detail::joined_header(headers, "x-amz-content-sha256");
  const auto [path, query] = detail::split_target(target);
  const std::string scope =
      std::string(date8) + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  const std::string cr = detail::canonical_request(method, canonical_uri(path), canonical_query(query),
                                                   detail::canonical_headers(hs.all, hs.views),
                                                   hs.signed_list, payload ? *payload : sha256_hex(body));
  const std::string sig =
      signature_of(credentials, date8, region, service, detail::string_to_sign(amz_date, scope, cr));

  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("X-Amz-Date", amz_date);
  if (!credentials.session_token.empty()) out.emplace_back("X-Amz-Security-Token", credentials.session_token);
  out.emplace_back("Authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id +
                                        "/" + scope + ", SignedHeaders=" + hs.signed_list +
                                        ", Signature=" + sig);
  return out;
}

core::Result<std::string> presign(std::string_view method, std::string_view target,
                                  std::span<const Header> headers, const SigningCredentials& credentials,
                                  std::string_view region, std::string_view service,
                                  std::chrono::system_clock::time_point now, const PresignOptions& options) {
  if (auto ok = check_inputs(target, headers, credentials, region, service); !ok) {
    return core::fail(std::move(ok).error());
  }
  if (options.expires.count() < 1) {
    return core::fail(Errc::kInvalidArgument, "sigv4: presign expiry must be at least one second");
  }
  const auto [path, query] = detail::split_target(target);
  for (const auto& p : detail::parse_query(query, std::string_view::npos - 1)) {
    if (p.name.starts_with("X-Amz-")) {
      return core::fail(Errc::kInvalidArgument, "sigv4: the target already has the parameter " + p.name);
    }
  }
  const std::string amz_date = format_amz_date(now);
  const std::string_view date8 = std::string_view(amz_date).substr(0, 8);
  const std::string scope =
      std::string(date8) + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  const HeaderSet hs = collect(headers, {});

  std::string q(query);
  if (!q.empty()) q.push_back('&');
  q += "X-Amz-Algorithm=" + std::string(kAlgorithm);
  q += "&X-Amz-Credential=" + uri_encode(credentials.access_key_id + "/" + scope, false);
  q += "&X-Amz-Date=" + amz_date;
  q += "&X-Amz-Expires=" + std::to_string(options.expires.count());
  q += "&X-Amz-SignedHeaders=" + uri_encode(hs.signed_list, false);
  const std::string token_param = "X-Amz-Security-Token=" + uri_encode(credentials.session_token, false);
  const bool has_token = !credentials.session_token.empty();
  if (has_token && !options.token_after_signing) q += "&" + token_param;

  const std::string cr = detail::canonical_request(method, canonical_uri(path), canonical_query(q),
                                                   detail::canonical_headers(hs.all, hs.views),
                                                   hs.signed_list, detail::kEmptySha256);
  q += "&X-Amz-Signature=" +
       signature_of(credentials, date8, region, service, detail::string_to_sign(amz_date, scope, cr));
  if (has_token && options.token_after_signing) q += "&" + token_param;
  return std::string(path) + "?" + q;
}

}  // namespace tenet::sigv4
