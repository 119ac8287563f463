#include "core/net/tls_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tenet::core::net {

namespace asio = boost::asio;
namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
}

TlsStream::TlsStream(Socket socket, asio::ssl::context& ctx) : socket_(std::move(socket)) {
  ssl_ = SSL_new(ctx.native_handle());
  if (ssl_ != nullptr && socket_.is_open()) {
    socket_.non_blocking(true);
    SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
    SSL_set_accept_state(ssl_);
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  }
}

TlsStream::~TlsStream() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

TlsStream::ErrorCode TlsStream::ssl_error(int ret, int err) const {
  if (err == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  if (err == SSL_ERROR_SYSCALL) {
    unsigned long e = ERR_get_error();
    if (e != 0) return ErrorCode(static_cast<int>(e), asio::error::get_ssl_category());
    if (ret == 0 || errno == 0) return asio::error::eof;  // the peer closed without close_notify
    return ErrorCode(errno, asio::error::get_system_category());
  }
  unsigned long e = ERR_get_error();
  if (e == 0) return asio::error::connection_aborted;
  return ErrorCode(static_cast<int>(e), asio::error::get_ssl_category());
}

asio::awaitable<TlsStream::ErrorCode> TlsStream::async_handshake() {
  if (ssl_ == nullptr) co_return asio::error::no_memory;
  for (;;) {
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) co_return ErrorCode{};
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      auto [ec] = co_await socket_.async_wait(err == SSL_ERROR_WANT_READ ? Socket::wait_read : Socket::wait_write, kTuple);
      if (ec) co_return ec;
      continue;
    }
    co_return ssl_error(r, err);
  }
}

asio::awaitable<std::tuple<TlsStream::ErrorCode, std::size_t>> TlsStream::async_read_some(std::byte* data,
                                                                                          std::size_t size) {
  read_waited_ = false;
  for (;;) {
    ERR_clear_error();
    std::size_t n = 0;
    const int r = SSL_read_ex(ssl_, data, size, &n);
    if (r == 1) co_return std::tuple{ErrorCode{}, n};
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      read_waited_ = true;
      auto [ec] = co_await socket_.async_wait(err == SSL_ERROR_WANT_READ ? Socket::wait_read : Socket::wait_write, kTuple);
      if (ec) co_return std::tuple{ec, std::size_t{0}};
      continue;
    }
    co_return std::tuple{ssl_error(r, err), std::size_t{0}};
  }
}

void TlsStream::async_write(const std::byte* data, std::size_t size, std::function<void(ErrorCode)> done) {
  wdata_ = data;
  wleft_ = size;
  wdone_ = std::move(done);
  write_step();
}

void TlsStream::write_step() {
  while (wleft_ > 0) {
    ERR_clear_error();
    std::size_t n = 0;
    const int r = SSL_write_ex(ssl_, wdata_, wleft_, &n);
    if (r == 1) {
      wdata_ += n;
      wleft_ -= n;
      continue;
    }
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      socket_.async_wait(err == SSL_ERROR_WANT_READ ? Socket::wait_read : Socket::wait_write, [this](ErrorCode ec) {
        if (ec) {
          auto done = std::move(wdone_);
          done(ec);
          return;
        }
        write_step();
      });
      return;
    }
    const ErrorCode ec = ssl_error(r, err);
    asio::post(socket_.get_executor(), [this, ec] {
      auto done = std::move(wdone_);
      done(ec);
    });
    return;
  }
  // Completed synchronously: still complete through the loop, never inline in the caller.
  asio::post(socket_.get_executor(), [this] {
    auto done = std::move(wdone_);
    done(ErrorCode{});
  });
}

}  // namespace tenet::core::net
