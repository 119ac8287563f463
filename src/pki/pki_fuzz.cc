// libFuzzer target for the parsers of untrusted PKI input. The first byte selects the path
// (modulo 4; corpus files start with an ASCII digit): '0' inspect, '1' parse_crl (and
// verify_crl_issued_by), '2' sign_csr, '3' verify_issued_by. Any input must give a value or an
// error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pki/crl.h"
#include "pki/csr.h"
#include "pki/inspect.h"
#include "pki/pki.h"

namespace {

const tenet::pki::CertAndKey& fuzz_ca() {
  static const tenet::pki::CertAndKey ca = [] {
    auto r = tenet::pki::create_root_ca("tenet fuzz root", 30);
    return r ? *r : tenet::pki::CertAndKey{};
  }();
  return ca;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      if (auto info = tenet::pki::inspect(input); info) {
        (void)tenet::pki::key_quality_ok(*info);
        (void)tenet::pki::public_key_pem(input);
      }
      break;
    case 1:
      if (auto crl = tenet::pki::parse_crl(input); crl) {
        (void)crl->is_revoked("01");
        (void)tenet::pki::verify_crl_issued_by(*crl, fuzz_ca().cert_pem);
      }
      break;
    case 2:
      (void)tenet::pki::sign_csr(fuzz_ca(), input, 1);
      break;
    default:
      (void)tenet::pki::verify_issued_by(input, fuzz_ca().cert_pem);
      (void)tenet::pki::verify_issued_by(fuzz_ca().cert_pem, input);
      break;
  }
  return 0;
}
