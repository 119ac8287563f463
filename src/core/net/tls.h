#pragma once

// TLS contexts for tenet's listeners and clients (OpenSSL 3 through Boost.Asio). TLS 1.2 and 1.3
// only, forward-secret (ECDHE) suites only. There is no plaintext listener anywhere in tenet.

#include <functional>
#include <memory>
#include <string_view>
#include <string>
#include <vector>

#include <boost/asio/ssl.hpp>

#include "core/result.h"

namespace tenet::core::net {

namespace ssl = boost::asio::ssl;

struct ServerTlsOptions {
  std::string cert_pem;  // server certificate (chain)
  std::string key_pem;
  std::vector<std::string> client_ca_pems;  // trust anchors for client certificates
  bool require_client_cert = true;          // mutual TLS (device listener)
  std::vector<std::string> alpn;            // accepted ALPN protocols; a client offering none is fine
  // Accept a client certificate whose chain does not reach client_ca_pems, or that is outside its
  // validity period: the identity registry decides at CONNECT (registered, active, CA active, dates)
  // and can say why. The handshake still proves the client holds the certificate's private key, and
  // structurally broken chains (bad signatures in the presented chain, ...) are still refused.
  bool defer_chain_verification = false;
  // With defer_chain_verification: asked during the handshake with the client's leaf certificate
  // (DER); false refuses the handshake. Lets the identity registry turn certificates it has never
  // heard of away at the TLS layer, before any MQTT byte is parsed. May be filled in after the
  // context is made (before the first handshake); empty = accept.
  std::shared_ptr<std::function<bool(std::string_view der)>> client_cert_filter;
};

// Errors: kInvalidArgument (bad PEM), kInternal.
Result<std::shared_ptr<ssl::context>> make_server_context(const ServerTlsOptions& options);

struct ClientTlsOptions {
  std::string ca_pem;    // server trust anchor
  std::string cert_pem;  // client certificate; empty = none
  std::string key_pem;
  std::vector<std::string> alpn;
};

Result<std::shared_ptr<ssl::context>> make_client_context(const ClientTlsOptions& options);

// The verified peer certificate of an established TLS session, as PEM; empty if none.
std::string peer_certificate_pem(SSL* ssl);
// The peer certificate's DER encoding; empty if none.
std::string peer_certificate_der(SSL* ssl);
// Lowercase hex SHA-256 of the peer certificate's DER (AWS certificateId); empty if none.
std::string peer_certificate_id(SSL* ssl);
// Subject CN of the peer certificate; empty if none.
std::string peer_common_name(SSL* ssl);

}  // namespace tenet::core::net
