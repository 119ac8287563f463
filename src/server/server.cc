#include "server/server.h"

#include <csignal>
#include <memory>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include "authz/authorizer.h"
#include "authz/policy_authorizer.h"
#include "broker/broker.h"
#include "control/access_keys.h"
#include "control/audit_log.h"
#include "control/dispatcher.h"
#include "control/http_server.h"
#include "control/operations.h"
#include "control/tags.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/net/tls.h"
#include "server/connection_operations.h"
#include "server/data_dir.h"
#include "server/hooks.h"
#include "store/broker_store.h"
#ifdef TENET_HAVE_policies
#include "control/arn.h"
#include "policies/policies.h"
#endif
#ifdef TENET_HAVE_certs
#include "certs/certs.h"
#include "pki/inspect.h"
#include "sigv4/sigv4.h"
#endif
#ifdef TENET_HAVE_registry
#include "registry/registry.h"
#endif

namespace tenet::server {
namespace {

std::string host_port(const boost::asio::ip::tcp::endpoint& ep) {
  const auto a = ep.address();
  std::string out;
  if (a.is_v6()) out.push_back('[');
  out += a.to_string();
  if (a.is_v6()) out.push_back(']');
  out.push_back(':');
  out += std::to_string(ep.port());
  return out;
}

// The policies of a connection (authz.mode = "policy"): its certificate's, plus those of its thing's
// static groups and their ancestors, bound with what is known about the connection.
class RegistryPolicySource final : public authz::PolicySource {
 public:
  policies::PolicyStore* store = nullptr;
#ifdef TENET_HAVE_registry
  registry::Registry* things = nullptr;
#endif
#ifdef TENET_HAVE_certs
  certs::Registry* certs = nullptr;
#endif
  control::Partition partition;

  std::shared_ptr<const policy::BoundPolicySet> bind(const authz::Principal& who) const override {
    if (store == nullptr) return std::make_shared<const policy::BoundPolicySet>();
    std::vector<std::string> targets{partition.arn("cert", who.certificate_id)};
    policy::Context c;
    c.client_id = who.client_id;
    c.source_ip = who.source_ip;
    c.persistent_connect = who.persistent_connect;
    c.last_will = who.last_will;
#ifdef TENET_HAVE_registry
    if (!who.thing_name.empty()) {
      if (auto t = things->find_thing(who.thing_name)) {
        c.thing = policy::ThingInfo{t->name, t->type_name, t->attributes, true};
        for (const auto& g : things->static_groups_with_ancestors(t->name)) {
          targets.push_back(partition.arn("thinggroup", g));
        }
      }
    }
#endif
#ifdef TENET_HAVE_certs
    if (auto cert = certs->find(who.certificate_id)) {
      policy::CertificateInfo ci;
      for (const auto& e : cert->info.subject) ci.subject.emplace_back(aws_attribute(e.type), e.value);
      for (const auto& e : cert->info.issuer) ci.issuer.emplace_back(aws_attribute(e.type), e.value);
      ci.serial_number = cert->info.serial_hex;
      ci.subject_alternative_names.dns_name = cert->info.san.dns;
      ci.subject_alternative_names.rfc822_name = cert->info.san.email;
      ci.subject_alternative_names.uniform_resource_identifier = cert->info.san.uri;
      ci.subject_alternative_names.ip_address = cert->info.san.ip;
      ci.subject_alternative_names.directory_name = cert->info.san.directory_name;
      c.certificate = std::move(ci);
    }
#endif
    return std::make_shared<const policy::BoundPolicySet>(
        policy::bind(store->policies_for_targets(targets), std::move(c), store->scope()));
  }

 private:
  // OpenSSL short names -> the attribute names AWS policy variables use.
  static std::string aws_attribute(const std::string& t) {
    static const std::pair<const char*, const char*> kNames[] = {
        {"CN", "CommonName"}, {"O", "Organization"}, {"OU", "OrganizationalUnit"}, {"C", "Country"},
        {"ST", "State"}, {"L", "Locality"}, {"serialNumber", "SerialNumber"}, {"title", "Title"},
        {"SN", "Surname"}, {"GN", "GivenName"}, {"initials", "Initials"}, {"pseudonym", "Pseudonym"},
        {"generationQualifier", "GenerationQualifier"}, {"dnQualifier", "DistinguishedNameQualifier"}};
    for (const auto& [k, v] : kNames) {
      if (t == k) return v;
    }
    return t;
  }
};

// The host DescribeEndpoint hands to devices.
std::string endpoint_host(const Config& c) {
  if (!c.endpoint_host.empty()) return c.endpoint_host;
  const auto& b = c.mqtt.bind_address;
  if (b.empty() || b == "0.0.0.0" || b == "::") return "localhost";
  return b;
}

// "127.0.0.1:5000" / "[::1]:5000" -> the address part.
std::string ip_of(std::string_view peer) {
  if (!peer.empty() && peer.front() == '[') return std::string(peer.substr(1, peer.find(']') - 1));
  return std::string(peer.substr(0, peer.rfind(':')));
}

core::Result<void> fail_stop(broker::Broker& broker, core::Error e) {
  broker.stop();
  return core::fail(std::move(e));
}

}  // namespace

core::Result<void> run(const Config& config) {
  // Catch SIGINT/SIGTERM from the very start: a signal that arrives while the server is still
  // starting (or right after endpoints.json appears) is queued and handled as a clean shutdown,
  // never the default action that kills the process.
  boost::asio::io_context signals_ctx(1);
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  if (config.data_dir.empty()) return core::fail(core::Errc::kInvalidArgument, "--data-dir is required");
  if (auto r = validate_identity(config); !r) return r;
  auto dir = open_data_dir(config.data_dir, config.server_names, config.region);
  if (!dir) return core::propagate(std::move(dir));

  store::SqliteOptions so;
  so.path = dir->db_path();
  auto store = store::open_sqlite(so);
  if (!store) return core::fail(std::move(store).error().with_context("opening " + so.path));

  core::SystemClock clock;
  std::unique_ptr<authz::DecisionLog> decision_log;
  if (config.decision_log) {
    authz::DecisionLogOptions dlo;
    dlo.path = dir->decision_log_path();
    dlo.max_bytes = static_cast<std::uint64_t>(config.decision_log_max_bytes);
    dlo.allow_sample_rate = config.decision_log_allow_sample_rate;
    auto dl = authz::DecisionLog::open(dlo, clock);
    if (!dl) return core::propagate(std::move(dl));
    decision_log = std::move(*dl);
  }
  std::unique_ptr<authz::Authorizer> authorizer;
  RegistryPolicySource policy_source;
  authz::PolicyAuthorizer* policy_authorizer = nullptr;
  if (config.authz_mode == AuthzMode::kPolicy) {
    auto pa = std::make_unique<authz::PolicyAuthorizer>(policy_source);
    pa->set_decision_log(decision_log.get());
    policy_authorizer = pa.get();
    authorizer = std::move(pa);
  } else if (config.authz_mode == AuthzMode::kAllowAuthenticated) {
    core::log::warn("authz.mode = allow-authenticated: every device with a valid certificate may do anything. "
                    "For tests and demos only.");
    authorizer = std::make_unique<authz::AllowAuthenticated>();
  } else {
    authorizer = std::make_unique<authz::DenyAll>();
  }

  core::net::ServerTlsOptions tls;
  tls.cert_pem = dir->server.cert_pem;
  tls.key_pem = dir->server.key_pem;
  tls.client_ca_pems = {dir->ca.cert_pem};
  tls.require_client_cert = true;
  tls.alpn = {"x-amzn-mqtt-ca", "mqtt"};
#ifdef TENET_HAVE_certs
  // Customer CAs, certificates registered without a CA, expiry: the certificate registry decides at
  // CONNECT and says why (docs/identity.md).
  tls.defer_chain_verification = true;
  tls.client_cert_filter = std::make_shared<std::function<bool(std::string_view)>>();
#endif
  auto ctx = core::net::make_server_context(tls);
  if (!ctx) return core::propagate(std::move(ctx));

  broker::Broker broker(config.mqtt, *ctx, *authorizer, **store, clock);
  ServerHooks hooks;
  broker.set_hooks(&hooks);

  // Control plane: access keys, routes, audit trail, HTTPS listener.
  auto keys = control::AccessKeys::open(dir->db_path(), dir->master_key, clock);
  if (!keys) return core::fail(std::move(keys).error().with_context("loading access keys"));
  if (auto r = (*keys)->ensure_bootstrap(dir->admin.access_key_id, dir->admin.secret_access_key); !r) return r;
  auto tags = control::Tags::open(dir->db_path());
  if (!tags) return core::propagate(std::move(tags));
  auto audit = control::AuditLog::open(dir->audit_log_path());
  if (!audit) return core::propagate(std::move(audit));

  control::Partition partition{config.region, config.account_id};
  control::Router router;
  control::Endpoints endpoints;  // filled once the listeners are bound
  control::add_endpoint_operations(router, endpoints);
  control::add_access_key_operations(router, **keys);
  control::add_tag_operations(router, **tags);
  // ---- identity wiring: certs (issue 4) ----
#ifdef TENET_HAVE_certs
  // The certificate and CA registry (docs/identity.md#certificates-and-cas): its control-plane
  // operations, and the CONNECT gate. `certs_registry` outlives the router and the broker's use of
  // it (the broker is stopped before run() returns). Later blocks may wrap hooks.admit_fn.
  auto certs_registry = certs::Registry::open(dir->db_path(), dir->ca, partition, clock);
  if (!certs_registry) return core::fail(std::move(certs_registry).error().with_context("loading certificates"));
  (*certs_registry)->add_operations(router, **tags);
  hooks.admit_fn = [reg = certs_registry->get(), &clock](authz::Principal& who, std::string_view der,
                                                        std::string_view peer) {
    const certs::Admission a = reg->admit(der, clock.wall());
    if (a.certificate) {
      who.certificate_id = a.certificate->id;
      if (who.common_name.empty()) who.common_name = pki::first_value(a.certificate->info.subject, "CN");
    }
    if (a.admitted()) return broker::Admission{};
    // Generic for the peer (no hint whether the certificate is known); the log says why.
    return broker::Admission{false, "not authorized",
                             std::string(certs::to_string(a.refusal)) + ": " + a.reason + " (peer " +
                                 std::string(peer) + ")"};
  };
#endif
  // ---- end certs ----
  // ---- identity wiring: registry (issue 4) ----
#ifdef TENET_HAVE_registry
  // The thing registry and fleet index (docs/identity.md#things-types-and-groups). It outlives the
  // router and the broker (stopped before run() returns). Still to wire by the integrator: broker
  // CONNECT/disconnect -> connected()/disconnected() and publishing their presence events;
  // on_change observers -> closing sessions of detached principals / deleted things.
  auto thing_registry = registry::Registry::open(dir->db_path(), partition, clock);
  if (!thing_registry) return core::fail(std::move(thing_registry).error().with_context("loading the thing registry"));
  (*thing_registry)->add_operations(router, **tags);
#ifdef TENET_HAVE_certs
  // AttachThingPrincipal accepts registered certificates of this account; DeleteCertificate refuses
  // while things are attached.
  (*thing_registry)->set_principal_query([certs = certs_registry->get(), partition](std::string_view principal) {
    auto arn = control::parse_arn(principal);
    if (!arn || arn->region != partition.region || arn->account_id != partition.account_id) return false;
    auto [type, id] = arn->type_and_name();
    return type == "cert" && certs->find(id) != nullptr;
  });
  (*certs_registry)->set_attached_query(
      [things = thing_registry->get()](std::string_view certificate_arn) { return things->has_things(certificate_arn); });
#endif
#endif
  // ---- end registry ----
  // ---- policies (issue 5) ----
#ifdef TENET_HAVE_policies
  auto policy_store = policies::PolicyStore::open(dir->db_path(), partition, clock);
  if (!policy_store) return core::fail(std::move(policy_store).error().with_context("loading policies"));
  (*policy_store)->add_operations(router, **tags);
#ifdef TENET_HAVE_certs
  (*policy_store)->set_target_query([reg = certs_registry->get()](std::string_view arn) {
    auto a = control::parse_arn(arn);
    if (!a) return false;
    auto [type, name] = a->type_and_name();
    if (type == "cert") return reg->find(name) != nullptr;
    return true;  // thing groups: the thing registry answers once wired below
  });
#endif
#ifdef TENET_HAVE_registry
  (*policy_store)->set_group_ancestors(
      [things = thing_registry->get()](std::string_view group) {
        std::vector<std::string> names;
        for (const auto& g : things->ancestors_of(group)) names.push_back(g->name);
        return names;
      });
  (*policy_store)->set_thing_groups(
      [things = thing_registry->get()](std::string_view thing) { return things->static_groups_with_ancestors(thing); });
  (*policy_store)->set_context_builder([things = thing_registry->get()](std::string_view principal_arn,
                                                                        std::string_view client_id) {
    policy::Context c;
    c.client_id = std::string(client_id);
    if (auto t = things->thing_for_connection(principal_arn, client_id)) {
      policy::ThingInfo ti;
      ti.name = t->name;
      ti.type_name = t->type_name;
      ti.attributes = t->attributes;
      ti.is_attached = true;
      c.thing = std::move(ti);
    }
    return c;
  });
#endif
#endif
  policy_source.store = policy_store->get();
  policy_source.partition = partition;
#ifdef TENET_HAVE_registry
  policy_source.things = thing_registry->get();
#endif
#ifdef TENET_HAVE_certs
  policy_source.certs = certs_registry->get();
#endif
  // ---- end policies ----
#ifdef TENET_HAVE_registry
  // The connection's thing (policy variables, DetachThingPrincipal enforcement), connectivity in
  // the fleet index and the AWS lifecycle events on $aws/events/presence/...
  hooks.admit_fn = [inner = hooks.admit_fn, things = thing_registry->get(), partition](
                       authz::Principal& who, std::string_view der, std::string_view peer) {
    broker::Admission a = inner ? inner(who, der, peer) : broker::Admission{};
    if (!a.admitted) return a;
    who.session_id = control::new_request_id();
    if (auto t = things->thing_for_connection(partition.arn("cert", who.certificate_id), who.client_id)) {
      who.thing_name = t->name;
    }
    return a;
  };
  hooks.connected_fn = [things = thing_registry->get(), &broker, &clock](const authz::Principal& who,
                                                                         std::string_view peer, bool) {
    auto ev = things->connected(who.client_id, who.certificate_id, ip_of(peer), clock.unix_ms(), who.session_id);
    broker.publish_event(std::move(ev.topic), std::move(ev.payload));
  };
  hooks.disconnected_fn = [things = thing_registry->get(), &broker, &clock](
                              const authz::Principal& who, std::string_view reason, bool client_initiated) {
    auto ev = things->disconnected(who.client_id, who.certificate_id, reason, client_initiated, clock.unix_ms(),
                                   who.session_id);
    broker.publish_event(std::move(ev.topic), std::move(ev.payload));
  };
  (*thing_registry)->on_change([&broker, partition](const registry::Change& ch) {
    if (ch.kind == registry::Change::kPrincipalDetached) {
      // The certificate no longer speaks for that thing: its sessions acting as the thing end.
      const std::string cert = std::string(control::parse_arn(ch.principal_arn)
                                               ? control::parse_arn(ch.principal_arn)->type_and_name().second
                                               : std::string_view{});
      broker.close_where([cert, thing = ch.thing_name](
                             const authz::Principal& p) { return p.certificate_id == cert && p.thing_name == thing; },
                         mqtt::ReasonCode::kAdministrativeAction, "thing detached from its certificate");
    } else if (ch.kind == registry::Change::kThingDeleted) {
      broker.close_where([thing = ch.thing_name](const authz::Principal& p) { return p.thing_name == thing; },
                         mqtt::ReasonCode::kAdministrativeAction, "thing deleted");
    }
  });
#endif
  // Policies are live (docs/policy.md#live-sessions-and-the-broker): any change to a policy, an
  // attachment, a group membership or a certificate makes every session re-bind its policies at
  // its next request, and sessions whose iot:Connect is no longer allowed are closed at once.
  if (policy_authorizer != nullptr) {
    auto reevaluate = [&broker, policy_authorizer] {
      policy_authorizer->invalidate();
      broker.close_where(
          [policy_authorizer](const authz::Principal& p) {
            return !policy_authorizer->authorize(p, authz::Action::kConnect, p.client_id).allowed();
          },
          mqtt::ReasonCode::kNotAuthorized, "iot:Connect is no longer allowed by policy");
    };
    (*policy_store)->on_change([reevaluate](const policies::Change&) { reevaluate(); });
#ifdef TENET_HAVE_registry
    (*thing_registry)->on_change([reevaluate, things = thing_registry->get()](const registry::Change& ch) {
      if (ch.kind == registry::Change::kThingDeleted) return;  // its sessions are closed above
      // Dynamic groups carry no policies, and their membership can follow connectivity: re-binding
      // every session at each connect or disconnect of a member would put O(sessions) on that path.
      if (ch.kind == registry::Change::kGroupMembership) {
        auto g = things->find_group(ch.group_name);
        if (g && g->dynamic) return;
      }
      reevaluate();
    });
#endif
#ifdef TENET_HAVE_certs
    (*certs_registry)->on_change([policy_authorizer](const certs::Change& ch) {
      if (ch.kind == certs::Change::kCertificateAdded || ch.kind == certs::Change::kCertificateDeleted) {
        policy_authorizer->invalidate();
      }
    });
#endif
  }
#ifdef TENET_HAVE_certs
  // Certificates tenet has never heard of (not registered, not from an auto-registering CA) are
  // refused in the TLS handshake; known ones are decided at CONNECT with a logged reason.
  *tls.client_cert_filter = [reg = certs_registry->get()](std::string_view der) {
    if (reg->find(sigv4::sha256_hex(der))) return true;
    auto pem = pki::certificate_pem_from_der(der);
    if (!pem) return false;
    for (const auto& ca : reg->list_cas()) {
      if (ca->active && ca->auto_registration && pki::verify_issued_by(*pem, ca->pem)) return true;
    }
    core::log::info("tls: refused an unknown client certificate {}", sigv4::sha256_hex(der).substr(0, 12));
    return false;
  };
  // Live enforcement (docs/identity.md#live-enforcement): when a certificate, its CA or a CRL
  // changes, every session whose certificate is no longer admissible is closed on every loop at
  // once. JITR events go out on MQTT.
  (*certs_registry)->on_change([&broker, &clock, reg = certs_registry->get()](const certs::Change& ch) {
    if (ch.kind == certs::Change::kRegisteredPending) {
      broker.publish_event(ch.event_topic, ch.event_payload);
      return;
    }
    if (ch.affected.empty()) return;
    auto refused = std::make_shared<std::unordered_map<std::string, std::string>>();
    for (const auto& id : ch.affected) {
      auto cert = reg->find(id);
      if (!cert) {
        (*refused)[id] = "certificate deleted";
        continue;
      }
      auto a = reg->admit(cert->pem, clock.wall());
      if (!a.admitted()) (*refused)[id] = std::string(certs::to_string(a.refusal)) + ": " + a.reason;
    }
    if (refused->empty()) return;
    broker.close_where(
        [refused](const authz::Principal& p) { return refused->count(p.certificate_id) != 0; },
        mqtt::ReasonCode::kAdministrativeAction, "certificate is no longer trusted",
        [refused](std::size_t n) {
          if (n > 0) core::log::info("live enforcement: closed {} session(s) of {} certificate(s)", n, refused->size());
        });
  });
#endif
#ifndef TENET_HAVE_certs
  // Without the certificate registry the TLS handshake's chain check (built-in CA only) is the
  // identity check.
  hooks.admit_fn = [](authz::Principal&, std::string_view, std::string_view) { return broker::Admission{}; };
#endif
  if (decision_log) {  // identity refusals go to the decision log too, with the operator-facing reason
    hooks.admit_fn = [inner = hooks.admit_fn, log = decision_log.get()](authz::Principal& who, std::string_view der,
                                                                        std::string_view peer) {
      broker::Admission a = inner(who, der, peer);
      if (!a.admitted) log->record_refusal(who, authz::Action::kConnect, who.client_id, a.log_reason);
      return a;
    };
  }
  add_connection_operations(router, broker);
  control::add_introspection_operations(router);

  if (auto r = broker.start(); !r) return r;
  endpoints.mqtt = control::advertised_endpoint(endpoint_host(config), broker.endpoint().port());

  control::Dispatcher dispatcher(router, **keys,
                                 control::AuthOptions{config.region, std::chrono::seconds(config.clock_skew_seconds)},
                                 clock, [a = audit->get()](const boost::json::object& ev) { a->write(ev); });
  dispatcher.on_authenticated([k = keys->get()](std::string_view id) { k->touch(id); });

  core::net::ServerTlsOptions ctls;
  ctls.cert_pem = dir->server.cert_pem;
  ctls.key_pem = dir->server.key_pem;
  ctls.require_client_cert = false;
  ctls.alpn = {"http/1.1"};
  auto control_ctx = core::net::make_server_context(ctls);
  if (!control_ctx) return fail_stop(broker, std::move(control_ctx).error());
  control::HttpServer api(config.control, *control_ctx, dispatcher);
  if (auto r = api.start(); !r) return fail_stop(broker, std::move(r).error());

  boost::json::object endpoints_json{{"mqtt", host_port(broker.endpoint())},
                                {"control", "https://" + host_port(api.endpoint())}};
  if (auto r = pki::write_file_atomic(dir->endpoints_path(), boost::json::serialize(endpoints_json) + "\n", 0644); !r) {
    api.stop();
    broker.stop();
    return r;
  }
  core::log::info("tenet listening: mqtt {} (mTLS), control https://{} (SigV4, region {}), data dir {}",
                  host_port(broker.endpoint()), host_port(api.endpoint()), config.region, dir->path);

  int received = 0;
  signals.async_wait([&](boost::system::error_code, int sig) { received = sig; });
  signals_ctx.run();
  core::log::info("signal {}: shutting down", received);
  api.stop();
  broker.stop();
  (*store)->close();
  core::log::info("shutdown complete");
  return {};
}

}  // namespace tenet::server
