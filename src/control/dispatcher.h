#pragma once

// The sans-I/O heart of the control plane: one HTTP request in, one HTTP response out. Routes the
// request, verifies its SigV4 signature against the access keys, runs the handler, shapes errors
// the AWS way, and writes an audit event. The HTTPS listener (http_server.h) only moves bytes, so
// everything here is unit-tested without sockets. Thread-compatible: one caller at a time.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "control/access_keys.h"
#include "control/call.h"
#include "control/router.h"
#include "core/clock.h"

namespace tenet::control {

struct HttpRequest {
  std::string method;
  std::string target;   // raw request-target
  Fields headers;       // names as received
  std::string body;
};

struct HttpResponse {
  int status = 200;
  Fields headers;
  std::string body;
};

struct AuthOptions {
  std::string region = "us-east-1";
  std::chrono::seconds max_skew{300};
};

// A fresh x-amzn-RequestId (random, UUID-shaped).
std::string new_request_id();

// Receives one JSON object per request (who, what, which resource, outcome, source).
using AuditSink = std::function<void(const boost::json::object&)>;

class Dispatcher {
 public:
  // All references must outlive the dispatcher.
  Dispatcher(const Router& router, const AccessKeys& keys, AuthOptions auth, const core::Clock& clock,
             AuditSink audit);

  HttpResponse handle(const HttpRequest& request, std::string_view source);

  // Called with the key id after each successfully authenticated request (AccessKeys::touch).
  void on_authenticated(std::function<void(std::string_view)> f) { on_auth_ = std::move(f); }

 private:
  HttpResponse finish(Call& call, Reply reply, std::chrono::steady_clock::time_point start);

  const Router& router_;
  const AccessKeys& keys_;
  AuthOptions auth_;
  const core::Clock& clock_;
  AuditSink audit_;
  std::function<void(std::string_view)> on_auth_;
};

}  // namespace tenet::control
