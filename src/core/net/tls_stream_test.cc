#include "core/net/tls_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/net/tls.h"
#include "pki/pki.h"

namespace tenet::core::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Pki {
  pki::CertAndKey ca, server, client;
  Pki() {
    ca = *pki::create_root_ca("test CA", 1);
    pki::CertOptions so;
    so.common_name = "server";
    so.dns_names = {"localhost"};
    so.ip_addresses = {"127.0.0.1"};
    server = *pki::issue(ca, so, true);
    pki::CertOptions co;
    co.common_name = "device-1";
    client = *pki::issue(ca, co, false);
  }
};

// A server TlsStream and an asio::ssl client exchange 1 MiB each way over loopback, then the client
// closes and the server sees eof. Checks the mTLS peer identity on the way.
TEST(TlsStream, HandshakeExchangeAndPeerCloseOverLoopback) {
  Pki p;
  auto sctx = make_server_context({p.server.cert_pem, p.server.key_pem, {p.ca.cert_pem}, true, {}});
  ASSERT_TRUE(sctx) << sctx.error();
  auto cctx = make_client_context({p.ca.cert_pem, p.client.cert_pem, p.client.key_pem, {}});
  ASSERT_TRUE(cctx) << cctx.error();

  asio::io_context io;
  tcp::acceptor acc(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::size_t kBytes = 1 << 20;
  std::string server_cn;
  std::size_t server_got = 0;
  bool server_eof = false;
  std::size_t client_got = 0;

  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto [aec, sock] = co_await acc.async_accept(kTuple);
    EXPECT_FALSE(aec);
    TlsStream s(std::move(sock), **sctx);
    auto hec = co_await s.async_handshake();
    EXPECT_FALSE(hec) << hec.message();
    server_cn = peer_common_name(s.native_handle());
    std::vector<std::byte> out(kBytes, std::byte{0x5a});
    bool written = false;
    s.async_write(out.data(), out.size(), [&](TlsStream::ErrorCode ec) {
      EXPECT_FALSE(ec) << ec.message();
      written = true;
    });
    std::vector<std::byte> buf(4096);
    for (;;) {
      auto [ec, n] = co_await s.async_read_some(buf.data(), buf.size());
      if (ec) {
        server_eof = ec == asio::error::eof;
        break;
      }
      server_got += n;
    }
    EXPECT_TRUE(written);
  }, asio::detached);

  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    asio::ssl::stream<tcp::socket> c(io, **cctx);
    auto [cec] = co_await c.lowest_layer().async_connect(acc.local_endpoint(), kTuple);
    EXPECT_FALSE(cec);
    auto [hec] = co_await c.async_handshake(asio::ssl::stream_base::client, kTuple);
    EXPECT_FALSE(hec) << hec.message();
    std::vector<char> out(kBytes, 'a');
    auto [wec, wn] = co_await asio::async_write(c, asio::buffer(out), kTuple);
    EXPECT_FALSE(wec);
    std::vector<char> in(kBytes);
    auto [rec, rn] = co_await asio::async_read(c, asio::buffer(in), kTuple);
    EXPECT_FALSE(rec) << rec.message();
    client_got = rn;
    auto [sec] = co_await c.async_shutdown(kTuple);
    (void)sec;
    c.lowest_layer().close();
  }, asio::detached);

  io.run_for(std::chrono::seconds(20));
  EXPECT_EQ(server_cn, "device-1");
  EXPECT_EQ(server_got, kBytes);
  EXPECT_EQ(client_got, kBytes);
  EXPECT_TRUE(server_eof);
}

TEST(TlsStream, ClientWithoutCertificateFailsTheHandshake) {
  Pki p;
  auto sctx = make_server_context({p.server.cert_pem, p.server.key_pem, {p.ca.cert_pem}, true, {}});
  auto cctx = make_client_context({p.ca.cert_pem, "", "", {}});
  ASSERT_TRUE(sctx && cctx);
  asio::io_context io;
  tcp::acceptor acc(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  bool server_failed = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto [aec, sock] = co_await acc.async_accept(kTuple);
    TlsStream s(std::move(sock), **sctx);
    server_failed = static_cast<bool>(co_await s.async_handshake());
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    asio::ssl::stream<tcp::socket> c(io, **cctx);
    co_await c.lowest_layer().async_connect(acc.local_endpoint(), kTuple);
    co_await c.async_handshake(asio::ssl::stream_base::client, kTuple);
    std::vector<char> in(16);
    co_await c.async_read_some(asio::buffer(in), kTuple);  // the server's alert ends this
  }, asio::detached);
  io.run_for(std::chrono::seconds(10));
  EXPECT_TRUE(server_failed);
}

// A client certificate from a CA the server does not trust: refused by default, let through to the
// identity registry with defer_chain_verification (which still proves key possession and reports
// the certificate for the CONNECT-time decision).
bool handshake_with_foreign_client_cert(bool defer, std::string* peer_der) {
  Pki p;
  auto other_ca = *pki::create_root_ca("customer CA", 1);
  pki::CertOptions co;
  co.common_name = "foreign-device";
  auto foreign = *pki::issue(other_ca, co, false);
  ServerTlsOptions so{p.server.cert_pem, p.server.key_pem, {p.ca.cert_pem}, true, {}};
  so.defer_chain_verification = defer;
  auto sctx = make_server_context(so);
  auto cctx = make_client_context({p.ca.cert_pem, foreign.cert_pem, foreign.key_pem, {}});
  EXPECT_TRUE(sctx && cctx);
  asio::io_context io;
  tcp::acceptor acc(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  bool server_ok = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto [aec, sock] = co_await acc.async_accept(kTuple);
    TlsStream s(std::move(sock), **sctx);
    server_ok = !(co_await s.async_handshake());
    if (server_ok) *peer_der = peer_certificate_der(s.native_handle());
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    asio::ssl::stream<tcp::socket> c(io, **cctx);
    co_await c.lowest_layer().async_connect(acc.local_endpoint(), kTuple);
    co_await c.async_handshake(asio::ssl::stream_base::client, kTuple);
    c.lowest_layer().close();
  }, asio::detached);
  io.run_for(std::chrono::seconds(10));
  EXPECT_FALSE(!server_ok && defer);
  return server_ok;
}

TEST(TlsStream, ForeignClientCertificateIsRefusedUnlessVerificationIsDeferred) {
  std::string der;
  EXPECT_FALSE(handshake_with_foreign_client_cert(false, &der));
  EXPECT_TRUE(der.empty());
  EXPECT_TRUE(handshake_with_foreign_client_cert(true, &der));
  ASSERT_FALSE(der.empty());
  EXPECT_EQ(static_cast<unsigned char>(der[0]), 0x30u);  // a DER SEQUENCE
}

}  // namespace
}  // namespace tenet::core::net
