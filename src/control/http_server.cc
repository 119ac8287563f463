#include "control/http_server.h"

#include <list>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/serialize.hpp>

#include "control/errors.h"
#include "core/log.h"

namespace tenet::control {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Stream = beast::ssl_stream<beast::tcp_stream>;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

http::response<http::string_body> to_beast(HttpResponse r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "tenet");
  for (auto& [k, v] : r.headers) res.insert(k, v);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

HttpResponse error_response(const Reply& reply) {
  HttpResponse r;
  r.status = reply.status;
  r.headers.emplace_back("x-amzn-RequestId", new_request_id());
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("x-amzn-ErrorType", reply.error_type);
  r.body = boost::json::serialize(reply.body);
  return r;
}

std::string peer_text(const tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

}  // namespace

struct HttpServer::Impl {
  HttpOptions options;
  std::shared_ptr<asio::ssl::context> tls;
  Dispatcher& dispatcher;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  int connections = 0;
  std::list<tcp::socket*> live;  // for stop()
  bool stopping = false;

  Impl(HttpOptions o, std::shared_ptr<asio::ssl::context> t, Dispatcher& d)
      : options(std::move(o)), tls(std::move(t)), dispatcher(d) {}

  asio::awaitable<void> accept_loop() {
    while (!stopping) {
      auto [ec, sock] = co_await acceptor.async_accept(kTuple);
      if (ec) {
        if (stopping || ec == asio::error::operation_aborted) co_return;
        core::log::warn("control plane accept: {}", ec.message());
        continue;
      }
      if (connections >= options.max_connections) {
        core::log::warn("control plane: connection limit {} reached; closing a new connection", options.max_connections);
        continue;  // sock closes here
      }
      asio::co_spawn(io, session(std::move(sock)), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket sock) {
    ++connections;
    std::string source = "?";
    boost::system::error_code pec;
    if (auto ep = sock.remote_endpoint(pec); !pec) source = peer_text(ep);
    Stream stream(std::move(sock), *tls);
    auto it = live.insert(live.end(), &beast::get_lowest_layer(stream).socket());
    co_await serve(stream, source);
    live.erase(it);
    --connections;
  }

  asio::awaitable<void> serve(Stream& stream, const std::string& source) {
    beast::get_lowest_layer(stream).expires_after(options.handshake_timeout);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (hec) {
      core::log::debug("control plane TLS handshake from {} failed: {}", source, hec.message());
      co_return;
    }
    beast::flat_buffer buffer;
    for (int n = 0; n < options.max_requests_per_connection && !stopping; ++n) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
      auto [ec, bytes] = co_await http::async_read(stream, buffer, parser, kTuple);
      if (ec) {
        std::optional<Reply> reply;
        if (ec == http::error::body_limit) {
          reply = errors::make(413, "RequestEntityTooLargeException",
                               "request body exceeds " + std::to_string(options.max_body_bytes) + " bytes");
        } else if (ec == http::error::header_limit) {
          reply = errors::make(431, "RequestHeaderFieldsTooLarge",
                               "request headers exceed " + std::to_string(options.max_header_bytes) + " bytes");
        } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
                   ec != http::error::end_of_stream && ec != http::error::partial_message) {
          // A parse error (request line, header, chunking, version...): say so before closing.
          reply = errors::invalid_request("malformed HTTP request: " + ec.message());
        }
        (void)bytes;
        if (reply) {
          auto res = to_beast(error_response(*reply), 11, false);
          beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
          co_await http::async_write(stream, res, kTuple);
        }
        break;
      }
      auto& req = parser.get();
      HttpRequest hr;
      hr.method = std::string(req.method_string());
      hr.target = std::string(req.target());
      for (const auto& f : req) hr.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      hr.body = std::move(req.body());
      const bool keep_alive = req.keep_alive() && n + 1 < options.max_requests_per_connection && !stopping;
      auto res = to_beast(dispatcher.handle(hr, source), req.version(), keep_alive);
      beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
      auto [wec, wbytes] = co_await http::async_write(stream, res, kTuple);
      if (wec || !keep_alive) break;
    }
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(kTuple);
  }
};

HttpServer::HttpServer(HttpOptions options, std::shared_ptr<asio::ssl::context> tls, Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(tls), dispatcher)) {}

HttpServer::~HttpServer() { stop(); }

core::Result<void> HttpServer::start() {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(impl_->options.bind, ec);
  if (ec) return core::fail(core::Errc::kInvalidArgument, "control plane bind address " + impl_->options.bind, ec);
  tcp::endpoint ep(addr, impl_->options.port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::fail(core::Errc::kUnavailable, "control plane cannot listen on " + peer_text(ep), ec);
  }
  endpoint_ = a.local_endpoint();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
  return {};
}

void HttpServer::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  asio::post(impl_->io, [this] {
    impl_->stopping = true;
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    for (auto* s : impl_->live) s->close(ec);
  });
  impl_->thread.join();
}

}  // namespace tenet::control
