#pragma once

// Reading a tenet server's data directory for `tenet bench --data-dir`: the listener address from
// endpoints.json and freshly minted device certificates from ca.pem/ca.key. Blocking file I/O: call
// before the benchmark starts.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "pki/pki.h"

namespace tenet::bench {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

// Parses "HOST:PORT" or "[V6]:PORT". Errors: kInvalidArgument.
core::Result<Endpoint> parse_host_port(std::string_view s);

// DIR/endpoints.json {"mqtt": "127.0.0.1:PORT"}. Errors: kNotFound, kMalformed, kUnavailable.
core::Result<Endpoint> read_endpoint(const std::string& data_dir);

// `count` client certificates "<prefix>-<k>" signed by DIR's root CA, kept in memory only.
// Errors: kNotFound (no CA), kInvalidArgument, kInternal.
core::Result<std::vector<pki::CertAndKey>> mint_client_certs(const std::string& data_dir, std::size_t count,
                                                             std::string_view prefix);

}  // namespace tenet::bench
