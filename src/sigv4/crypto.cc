// SHA-256 and HMAC-SHA256 through OpenSSL 3. Failures there are impossible states (no memory), so
// they abort: a zeroed key would let anybody forge signatures.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4/sigv4.h"

namespace tenet::sigv4 {
namespace {

const unsigned char kNothing[1] = {0};

const unsigned char* bytes_of(std::string_view s) {
  return s.empty() ? kNothing : reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  std::array<std::uint8_t, 32> md{};
  unsigned int len = 0;
  if (EVP_Digest(bytes_of(data), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1 || len != 32) {
    std::abort();
  }
  return hex(md);
}

std::array<std::uint8_t, 32> hmac_sha256(std::span<const std::uint8_t> key, std::string_view data) {
  std::array<std::uint8_t, 32> md{};
  unsigned int len = 0;
  const unsigned char* k = key.empty() ? kNothing : key.data();
  if (HMAC(EVP_sha256(), k, static_cast<int>(key.size()), bytes_of(data), data.size(), md.data(), &len) ==
          nullptr ||
      len != 32) {
    std::abort();
  }
  return md;
}

std::array<std::uint8_t, 32> signing_key(std::string_view secret, std::string_view yyyymmdd,
                                         std::string_view region, std::string_view service) {
  std::string k0 = "AWS4";
  k0.append(secret);
  const auto k_date =
      hmac_sha256(std::span(reinterpret_cast<const std::uint8_t*>(k0.data()), k0.size()), yyyymmdd);
  OPENSSL_cleanse(k0.data(), k0.size());
  const auto k_region = hmac_sha256(k_date, region);
  const auto k_service = hmac_sha256(k_region, service);
  return hmac_sha256(k_service, "aws4_request");
}

}  // namespace tenet::sigv4
