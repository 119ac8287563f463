#pragma once

// The single decision point the broker (and later the APIs) ask before anything happens
// (docs/policy.md). Deny by default: an authorizer with no opinion denies.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tenet::policy {
class BoundPolicySet;
}

namespace tenet::authz {

enum class Action { kConnect, kPublish, kRetainPublish, kSubscribe, kReceive };

std::string_view to_string(Action a);

// Who is asking: fixed at CONNECT from the verified client certificate and the CONNECT packet.
struct Principal {
  std::string certificate_id;  // SHA-256 of the client certificate (AWS certificateId)
  std::string common_name;     // subject CN of the client certificate
  std::string client_id;       // MQTT client id (empty until CONNECT is read)
  std::string thing_name;      // the connection's thing (set by the identity registry at CONNECT)
  std::string session_id;      // one per accepted connection (AWS lifecycle events' sessionIdentifier)
  std::string source_ip;       // the peer's address (aws:SourceIp)
  bool persistent_connect = false;  // iot:ConnectAttributes PersistentConnect (clean start = 0)
  bool last_will = false;           // iot:ConnectAttributes LastWill

  // The PolicyAuthorizer's per-connection state: the bound policies and the generation they were
  // bound at. Only touched on the connection's event loop.
  mutable std::shared_ptr<const policy::BoundPolicySet> policies;
  mutable std::uint64_t policies_generation = 0;
};

// The answer and why. `reason` points to text owned by the authorizer (static or policy-owned), so
// a decision costs no allocation on the publish path.
class Decision {
 public:
  static Decision allow(std::string_view reason) { return Decision(true, reason); }
  static Decision deny(std::string_view reason) { return Decision(false, reason); }
  bool allowed() const { return allowed_; }
  std::string_view explain() const { return reason_; }

 private:
  Decision(bool allowed, std::string_view reason) : allowed_(allowed), reason_(reason) {}
  bool allowed_;
  std::string_view reason_;
};

// Implementations are called from every network thread at once: they must be thread-safe, must not
// block, and should not allocate on the publish/receive path. The resource is the MQTT client id for
// kConnect, the topic name for kPublish/kRetainPublish/kReceive and the topic filter for kSubscribe.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual Decision authorize(const Principal& who, Action action, std::string_view resource) const = 0;
};

// The binary's default until policies exist: every request is denied, with a reason saying why.
class DenyAll final : public Authorizer {
 public:
  Decision authorize(const Principal&, Action, std::string_view) const override {
    return Decision::deny("no policy engine is configured (authz.mode = \"deny\")");
  }
};

// Allows every request of an authenticated principal (the mTLS handshake already verified it).
// For tests, benchmarks and the demo only; the server logs a warning when it is selected.
class AllowAuthenticated final : public Authorizer {
 public:
  Decision authorize(const Principal& who, Action, std::string_view) const override {
    if (who.certificate_id.empty()) return Decision::deny("no verified client certificate");
    return Decision::allow("authz.mode = \"allow-authenticated\"");
  }
};

}  // namespace tenet::authz
