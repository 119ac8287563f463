#include "pki/ca_registration.h"

#include <openssl/rand.h>

#include "pki/detail/ossl.h"
#include "pki/detail/x509.h"
#include "pki/inspect.h"
#include "pki/pki.h"

namespace tenet::pki {

using core::Errc;

core::Result<std::string> make_registration_code() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return detail::fail_ossl(Errc::kInternal, "drawing registration code");
  }
  return detail::hex(bytes, sizeof bytes);
}

core::Result<void> verify_ca_registration(std::string_view ca_pem,
                                          std::string_view verification_cert_pem,
                                          std::string_view registration_code,
                                          std::chrono::system_clock::time_point now) {
  if (registration_code.empty()) {
    return core::fail(Errc::kInvalidArgument, "registration code is empty");
  }
  auto ca = detail::parse_cert(ca_pem);
  if (!ca) {
    return core::fail(std::move(ca).error().with_context("CA certificate"));
  }
  X509* x = ca->x509.get();
  if (auto r = detail::check_ca_basics(x, /*for_crl=*/false); !r) {
    return r;
  }
  const auto t = std::chrono::floor<std::chrono::seconds>(now);
  if (t < detail::to_sys_seconds(X509_get0_notBefore(x))) {
    return core::fail(Errc::kInvalidArgument, "CA certificate is not yet valid");
  }
  if (t > detail::to_sys_seconds(X509_get0_notAfter(x))) {
    return core::fail(Errc::kInvalidArgument, "CA certificate has expired");
  }
  if (auto r = verify_issued_by(verification_cert_pem, ca_pem); !r) {
    return core::fail(std::move(r).error().with_context("verification certificate"));
  }
  auto cn = common_name(verification_cert_pem);
  if (!cn) {
    return core::fail(std::move(cn).error().with_context("verification certificate"));
  }
  if (*cn != registration_code) {
    return core::fail(Errc::kInvalidArgument,
                      "verification certificate common name '" + *cn +
                          "' is not the registration code");
  }
  return {};
}

}  // namespace tenet::pki
