#include "core/net/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

namespace tenet::core::net {
namespace {

// ECDHE only (TLS 1.2); TLS 1.3 suites are all forward-secret.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string ossl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

Result<void> harden(ssl::context& ctx) {
  SSL_CTX* c = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1) return fail(Errc::kInternal, ossl_error());
  if (SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1) return fail(Errc::kInternal, ossl_error());
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Release per-connection read/write buffers when idle: memory per idle connection matters at 100k.
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  return {};
}

Result<void> add_cas(ssl::context& ctx, const std::string& pem) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.native_handle());
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  int n = 0;
  while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, x);
    X509_free(x);
    ++n;
  }
  BIO_free(bio);
  ERR_clear_error();
  if (n == 0) return fail(Errc::kInvalidArgument, "no certificate in CA PEM");
  return {};
}

std::vector<unsigned char> alpn_wire(const std::vector<std::string>& protos) {
  std::vector<unsigned char> w;
  for (const auto& p : protos) {
    w.push_back(static_cast<unsigned char>(p.size()));
    w.insert(w.end(), p.begin(), p.end());
  }
  return w;
}

// Server ALPN: pick the first client-offered protocol we accept; if none matches, carry on without
// ALPN (clients on 8883 often send none or unrelated values).
int alpn_select(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void* arg) {
  const auto* accepted = static_cast<const std::vector<unsigned char>*>(arg);
  unsigned char* sel = nullptr;
  if (SSL_select_next_proto(&sel, outlen, accepted->data(), static_cast<unsigned>(accepted->size()), in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_context(const ServerTlsOptions& o) {
  try {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    if (auto r = harden(*ctx); !r) return propagate(std::move(r));
    boost::system::error_code ec;
    ctx->use_certificate_chain(boost::asio::buffer(o.cert_pem), ec);
    if (ec) return fail(Errc::kInvalidArgument, "server certificate: " + ec.message());
    ctx->use_private_key(boost::asio::buffer(o.key_pem), ssl::context::pem, ec);
    if (ec) return fail(Errc::kInvalidArgument, "server key: " + ec.message());
    for (const auto& ca : o.client_ca_pems) {
      if (auto r = add_cas(*ctx, ca); !r) return propagate(std::move(r));
    }
    if (o.require_client_cert) {
      ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
    if (o.defer_chain_verification) {
      ctx->set_verify_callback([filter = o.client_cert_filter](bool preverified, ssl::verify_context& vc) {
        X509_STORE_CTX* sc = vc.native_handle();
        if (filter && *filter && X509_STORE_CTX_get_error_depth(sc) == 0) {
          X509* leaf = X509_STORE_CTX_get_current_cert(sc);
          unsigned char* buf = nullptr;
          const int n = leaf ? i2d_X509(leaf, &buf) : -1;
          if (n <= 0) return false;
          const bool known = (*filter)(std::string_view(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n)));
          OPENSSL_free(buf);
          if (!known) return false;
        }
        if (preverified) return true;
        switch (X509_STORE_CTX_get_error(sc)) {
          case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
          case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
          case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
          case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
          case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
          case X509_V_ERR_CERT_UNTRUSTED:
          case X509_V_ERR_CERT_HAS_EXPIRED:
          case X509_V_ERR_CERT_NOT_YET_VALID:
            return true;  // decided at CONNECT by the identity registry
          default:
            return false;
        }
      });
    }
    // Session tickets/cache keep resumption cheap for reconnect storms.
    SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_SERVER);
    static const unsigned char kSid[] = "tenet";
    SSL_CTX_set_session_id_context(ctx->native_handle(), kSid, sizeof kSid - 1);
    // One TLS 1.3 ticket per handshake (OpenSSL sends two by default, each costing a session copy
    // that re-decodes the client certificate); devices need only one to resume.
    SSL_CTX_set_num_tickets(ctx->native_handle(), 1);
    if (!o.alpn.empty()) {
      // The wire list must outlive the context: keep it in a holder owned by the context's ex_data.
      auto* wire = new std::vector<unsigned char>(alpn_wire(o.alpn));
      SSL_CTX_set_alpn_select_cb(ctx->native_handle(), alpn_select, wire);
      // Tie the holder's lifetime to the shared_ptr.
      std::shared_ptr<ssl::context> holder(ctx.get(), [ctx, wire](ssl::context*) mutable {
        ctx.reset();
        delete wire;
      });
      return holder;
    }
    return ctx;
  } catch (const std::exception& e) {
    return fail(Errc::kInternal, e.what());
  }
}

Result<std::shared_ptr<ssl::context>> make_client_context(const ClientTlsOptions& o) {
  try {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    if (auto r = harden(*ctx); !r) return propagate(std::move(r));
    boost::system::error_code ec;
    if (!o.ca_pem.empty()) {
      if (auto r = add_cas(*ctx, o.ca_pem); !r) return propagate(std::move(r));
      ctx->set_verify_mode(ssl::verify_peer);
    }
    if (!o.cert_pem.empty()) {
      ctx->use_certificate_chain(boost::asio::buffer(o.cert_pem), ec);
      if (ec) return fail(Errc::kInvalidArgument, "client certificate: " + ec.message());
      ctx->use_private_key(boost::asio::buffer(o.key_pem), ssl::context::pem, ec);
      if (ec) return fail(Errc::kInvalidArgument, "client key: " + ec.message());
    }
    if (!o.alpn.empty()) {
      auto w = alpn_wire(o.alpn);
      SSL_CTX_set_alpn_protos(ctx->native_handle(), w.data(), static_cast<unsigned>(w.size()));
    }
    return ctx;
  } catch (const std::exception& e) {
    return fail(Errc::kInternal, e.what());
  }
}

std::string peer_certificate_pem(SSL* ssl) {
  X509* x = SSL_get1_peer_certificate(ssl);
  if (!x) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  X509_free(x);
  return out;
}

std::string peer_certificate_der(SSL* ssl) {
  X509* x = SSL_get1_peer_certificate(ssl);
  if (!x) return {};
  unsigned char* buf = nullptr;
  const int n = i2d_X509(x, &buf);
  X509_free(x);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
  OPENSSL_free(buf);
  return out;
}

std::string peer_certificate_id(SSL* ssl) {
  X509* x = SSL_get1_peer_certificate(ssl);
  if (!x) return {};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(x, EVP_sha256(), md, &n);
  X509_free(x);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::string peer_common_name(SSL* ssl) {
  X509* x = SSL_get1_peer_certificate(ssl);
  if (!x) return {};
  char buf[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof buf);
  X509_free(x);
  return buf;
}

}  // namespace tenet::core::net
