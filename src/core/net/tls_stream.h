#pragma once

// A server-side TLS stream that drives OpenSSL directly on a non-blocking socket, waiting for
// readiness with Asio. Unlike asio::ssl::stream it keeps no BIO pair and no staging buffers (about
// 68 KiB per connection), and with SSL_MODE_RELEASE_BUFFERS an idle connection holds almost no TLS
// memory. One read and one write may be outstanding at once; confine to one thread (the loop).

#include <cstddef>
#include <functional>
#include <tuple>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace tenet::core::net {

class TlsStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using ErrorCode = boost::system::error_code;

  TlsStream(Socket socket, boost::asio::ssl::context& ctx);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  Socket& socket() { return socket_; }
  Socket::executor_type get_executor() { return socket_.get_executor(); }
  SSL* native_handle() { return ssl_; }

  // Server handshake. Errors: the socket's, or an SSL category error.
  boost::asio::awaitable<ErrorCode> async_handshake();
  // Reads at least one byte of application data. eof when the peer closed. last_read_waited() tells
  // whether it had to wait for the socket (false: OpenSSL had the data already, nothing yielded).
  boost::asio::awaitable<std::tuple<ErrorCode, std::size_t>> async_read_some(std::byte* data, std::size_t size);
  // Writes all of [data, data+size); `done` runs on the loop. The buffer must stay alive until then.
  void async_write(const std::byte* data, std::size_t size, std::function<void(ErrorCode)> done);
  bool last_read_waited() const { return read_waited_; }

 private:
  void write_step();
  ErrorCode ssl_error(int ret, int err) const;

  Socket socket_;
  SSL* ssl_ = nullptr;
  const std::byte* wdata_ = nullptr;
  std::size_t wleft_ = 0;
  std::function<void(ErrorCode)> wdone_;
  bool read_waited_ = false;
};

}  // namespace tenet::core::net
