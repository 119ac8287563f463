// Control-plane operations of the certificate registry (docs/identity.md#certificates-and-cas).
// Shapes follow the botocore `iot` model; tenet's CRL operations live under /tenet/.

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <boost/json.hpp>

#include "certs/certs.h"
#include "control/errors.h"
#include "control/operations.h"
#include "control/paging.h"
#include "control/router.h"
#include "control/tags.h"

namespace tenet::certs {
namespace {

namespace json = boost::json;
namespace errors = control::errors;
using control::Call;
using control::Reply;

Reply reply_error(const core::Error& e) {
  auto f = fault_of(e);
  if (!f) return errors::from(e);
  switch (*f) {
    case Fault::kInvalidRequest: return errors::invalid_request(e.detail);
    case Fault::kNotFound: return errors::not_found(e.detail);
    case Fault::kAlreadyExists: return errors::already_exists(e.detail);
    case Fault::kCertificateState: return errors::certificate_state(e.detail);
    case Fault::kCertificateValidation: return errors::certificate_validation(e.detail);
    case Fault::kCertificateConflict: return errors::certificate_conflict(e.detail);
    case Fault::kRegistrationCode: return errors::make(400, "RegistrationCodeValidationException", e.detail);
    case Fault::kDeleteConflict: return errors::delete_conflict(e.detail);
    case Fault::kLimitExceeded: return errors::limit_exceeded(e.detail);
  }
  return errors::from(e);
}

// A boolean query parameter: absent -> nullopt; "true"/"false" (any case) else an error message.
std::optional<bool> query_bool(const Call& call, std::string_view name, std::string* error) {
  auto v = call.query_param(name);
  if (!v) return std::nullopt;
  std::string s(*v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true") return true;
  if (s == "false") return false;
  *error = std::string(name) + " must be true or false";
  return std::nullopt;
}

// The certificate id of a URI label: 64 hex digits (the model also allows a "0x" prefix).
std::optional<std::string> id_label(const Call& call, std::string_view name) {
  std::string s(call.label(name));
  if (s.size() == 66 && (s.starts_with("0x") || s.starts_with("0X"))) s = s.substr(2);
  if (s.size() != 64) return std::nullopt;
  for (char& c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

Reply bad_id(std::string_view name) {
  return errors::invalid_request(std::string(name) + " must be 64 hexadecimal characters");
}

json::value seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }
json::value seconds(std::chrono::sys_seconds t) { return static_cast<std::int64_t>(t.time_since_epoch().count()); }

std::optional<std::string> string_member(const json::object& o, std::string_view name, std::string* error) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_string()) {
    *error = std::string(name) + " must be a string";
    return std::nullopt;
  }
  return std::string(it->value().as_string());
}

// marker/pageSize listing over `items` sorted ascending by (created, id); the key of an item is
// its zero-padded creation time and id, so a page is stable while items come and go.
template <typename T, typename F>
Reply page_of(const Call& call, std::string listing, const std::vector<std::shared_ptr<const T>>& items,
              F&& to_json) {
  std::string err;
  const bool ascending = query_bool(call, "isAscendingOrder", &err).value_or(false);
  if (!err.empty()) return errors::invalid_request(err);
  listing += ascending ? ":asc" : ":desc";
  auto page = control::read_page(call, listing, "marker", "pageSize");
  if (!page) return errors::invalid_request(page.error().detail);
  auto key = [](const T& t) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016lld/", static_cast<long long>(t.created_ms));
    return buf + t.id;
  };
  json::array out;
  std::string last;
  bool more = false;
  auto visit = [&](const T& t) {
    const std::string k = key(t);
    if (!page->after.empty() && (ascending ? k <= page->after : k >= page->after)) return true;
    if (out.size() == page->limit) {
      more = true;
      return false;
    }
    out.push_back(to_json(t));
    last = k;
    return true;
  };
  if (ascending) {
    for (auto it = items.begin(); it != items.end() && visit(**it); ++it) {
    }
  } else {
    for (auto it = items.rbegin(); it != items.rend() && visit(**it); ++it) {
    }
  }
  json::object body;
  body["certificates"] = std::move(out);
  if (more) body["nextMarker"] = control::page_token(listing, last);
  return Reply::json(std::move(body));
}

json::object summary(const Certificate& c) {
  return {{"certificateArn", c.arn},
          {"certificateId", c.id},
          {"status", to_string(c.status)},
          {"certificateMode", c.mode},
          {"creationDate", seconds(c.created_ms)}};
}

json::object describe(const Certificate& c, const control::Partition& p) {
  json::object d{{"certificateArn", c.arn},
                 {"certificateId", c.id},
                 {"status", to_string(c.status)},
                 {"certificatePem", c.pem},
                 {"ownedBy", p.account_id},
                 {"creationDate", seconds(c.created_ms)},
                 {"lastModifiedDate", seconds(c.modified_ms)},
                 {"customerVersion", c.customer_version},
                 {"transferData", json::object()},
                 {"generationId", c.generation_id},
                 {"validity", json::object{{"notBefore", seconds(c.not_before)}, {"notAfter", seconds(c.not_after)}}},
                 {"certificateMode", c.mode}};
  if (!c.ca_certificate_id.empty()) d["caCertificateId"] = c.ca_certificate_id;
  return d;
}

json::object describe_ca(const CaCertificate& c, const control::Partition& p) {
  return {{"certificateArn", c.arn},
          {"certificateId", c.id},
          {"status", c.active ? "ACTIVE" : "INACTIVE"},
          {"certificatePem", c.pem},
          {"ownedBy", p.account_id},
          {"creationDate", seconds(c.created_ms)},
          {"autoRegistrationStatus", c.auto_registration ? "ENABLE" : "DISABLE"},
          {"lastModifiedDate", seconds(c.modified_ms)},
          {"customerVersion", c.customer_version},
          {"generationId", c.generation_id},
          {"validity", json::object{{"notBefore", seconds(c.not_before)}, {"notAfter", seconds(c.not_after)}}},
          {"certificateMode", "DEFAULT"}};
}

json::object describe_crl(const CaCertificate& ca) {
  const pki::Crl& crl = *ca.crl;
  json::object o{{"caCertificateId", ca.id},
                 {"issuer", crl.issuer_text},
                 {"thisUpdate", seconds(crl.this_update)},
                 {"revokedCount", static_cast<std::int64_t>(crl.revoked_serials.size())},
                 {"loadedDate", seconds(ca.crl_loaded_ms)}};
  if (crl.next_update) o["nextUpdate"] = seconds(*crl.next_update);
  if (!crl.crl_number.empty()) o["crlNumber"] = crl.crl_number;
  return o;
}

// RegistrationConfig {templateBody, roleArn, templateName} as stored JSON text.
std::optional<std::string> registration_config(const json::object& body, std::string* error) {
  auto it = body.find("registrationConfig");
  if (it == body.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_object()) {
    *error = "registrationConfig must be an object";
    return std::nullopt;
  }
  json::object out;
  for (const auto& [k, v] : it->value().as_object()) {
    if (k != "templateBody" && k != "roleArn" && k != "templateName") continue;
    if (!v.is_string()) {
      *error = "registrationConfig." + std::string(k) + " must be a string";
      return std::nullopt;
    }
    out[k] = v;
  }
  return json::serialize(out);
}

// AWS tag rules, checked before the CA is registered so that a bad tag registers nothing.
std::optional<std::vector<control::Tag>> read_tags(const json::object& body, std::string* error) {
  std::vector<control::Tag> tags;
  auto it = body.find("tags");
  if (it == body.end() || it->value().is_null()) return tags;
  if (!it->value().is_array()) {
    *error = "tags must be a list of {Key, Value}";
    return std::nullopt;
  }
  for (const auto& t : it->value().as_array()) {
    const auto* o = t.if_object();
    const auto* k = o ? o->if_contains("Key") : nullptr;
    const auto* v = o ? o->if_contains("Value") : nullptr;
    if (!k || !k->is_string() || (v && !v->is_string() && !v->is_null())) {
      *error = "tags must be a list of {Key, Value} strings";
      return std::nullopt;
    }
    std::string key(k->as_string()), value = v && v->is_string() ? std::string(v->as_string()) : "";
    if (key.empty() || key.size() > 128 || value.size() > 256 || key.starts_with("aws:")) {
      *error = "tag " + key + ": keys are 1-128 characters (not starting with aws:), values up to 256";
      return std::nullopt;
    }
    tags.emplace_back(std::move(key), std::move(value));
  }
  if (tags.size() > 50) {
    *error = "at most 50 tags";
    return std::nullopt;
  }
  return tags;
}

}  // namespace

void Registry::add_operations(control::Router& router, control::Tags& tags) {
  const auto& svc = control::control_services();
  Registry& self = *this;
  tags.add_type("cacert", [this](std::string_view id) { return find_ca(id) != nullptr; });

  router.add({"CreateKeysAndCertificate", "POST", "/keys-and-certificate", svc, [&self](Call& call) -> Reply {
                std::string err;
                const bool active = query_bool(call, "setAsActive", &err).value_or(false);
                if (!err.empty()) return errors::invalid_request(err);
                auto type = pki::KeyType::kEcP256;
                if (auto alg = call.query_param("keyAlgorithm")) {
                  auto t = parse_key_algorithm(*alg);
                  if (!t) return errors::invalid_request("keyAlgorithm must be EC_P256, EC_P384 or RSA_2048");
                  type = *t;
                }
                auto made = self.create_keys_and_certificate(type, active);
                if (!made) return reply_error(made.error());
                call.resource = made->certificate->arn;
                return Reply::json({{"certificateArn", made->certificate->arn},
                                    {"certificateId", made->certificate->id},
                                    {"certificatePem", made->certificate->pem},
                                    {"keyPair", json::object{{"PublicKey", made->keys.public_key_pem},
                                                             {"PrivateKey", made->keys.key_pem}}}});
              }});

  router.add({"CreateCertificateFromCsr", "POST", "/certificates", svc, [&self](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                std::string err;
                const bool active = query_bool(call, "setAsActive", &err).value_or(false);
                auto csr = string_member(*body, "certificateSigningRequest", &err);
                if (!err.empty()) return errors::invalid_request(err);
                if (!csr) return errors::invalid_request("certificateSigningRequest is required");
                auto c = self.create_from_csr(*csr, active);
                if (!c) return reply_error(c.error());
                call.resource = (*c)->arn;
                return Reply::json(
                    {{"certificateArn", (*c)->arn}, {"certificateId", (*c)->id}, {"certificatePem", (*c)->pem}});
              }});

  auto register_handler = [&self](bool with_ca) {
    return [&self, with_ca](Call& call) -> Reply {
      auto body = call.json();
      if (!body) return errors::invalid_request(body.error().detail);
      std::string err;
      const bool active = query_bool(call, "setAsActive", &err).value_or(false);
      auto pem = string_member(*body, "certificatePem", &err);
      auto ca_pem = with_ca ? string_member(*body, "caCertificatePem", &err) : std::nullopt;
      auto status_text = string_member(*body, "status", &err);
      if (!err.empty()) return errors::invalid_request(err);
      if (!pem) return errors::invalid_request("certificatePem is required");
      Status status = active ? Status::kActive : Status::kInactive;
      if (status_text) {
        auto s = parse_status(*status_text);
        if (!s) return errors::invalid_request("status " + *status_text + " is not a certificate status");
        status = *s;
      }
      std::optional<std::string_view> ca;
      if (ca_pem) ca = *ca_pem;
      auto c = self.register_certificate(*pem, with_ca, ca, status);
      if (!c) {
        if (fault_of(c.error()) == Fault::kAlreadyExists) {
          auto id = pki::certificate_id(*pem);
          const std::string cid = id ? *id : "";
          return errors::already_exists(c.error().detail, cid, self.partition().arn("cert", cid));
        }
        return reply_error(c.error());
      }
      call.resource = (*c)->arn;
      return Reply::json({{"certificateArn", (*c)->arn}, {"certificateId", (*c)->id}});
    };
  };
  router.add({"RegisterCertificate", "POST", "/certificate/register", svc, register_handler(true)});
  router.add({"RegisterCertificateWithoutCA", "POST", "/certificate/register-no-ca", svc, register_handler(false)});

  router.add({"UpdateCertificate", "PUT", "/certificates/{certificateId}", svc, [&self](Call& call) -> Reply {
                auto id = id_label(call, "certificateId");
                if (!id) return bad_id("certificateId");
                call.resource = self.partition().arn("cert", *id);
                auto text = call.query_param("newStatus");
                if (!text) return errors::invalid_request("newStatus is required");
                auto status = parse_status(*text);
                if (!status) return errors::invalid_request("newStatus " + std::string(*text) + " is not a certificate status");
                if (auto r = self.set_status(*id, *status); !r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"DescribeCertificate", "GET", "/certificates/{certificateId}", svc, [&self](Call& call) -> Reply {
                auto id = id_label(call, "certificateId");
                if (!id) return bad_id("certificateId");
                call.resource = self.partition().arn("cert", *id);
                auto c = self.find(*id);
                if (!c) return errors::not_found("certificate " + *id + " does not exist");
                return Reply::json({{"certificateDescription", describe(*c, self.partition())}});
              }});

  router.add({"ListCertificates", "GET", "/certificates", svc, [&self](Call& call) -> Reply {
                return page_of<Certificate>(call, "certificates", self.list(),
                                            [](const Certificate& c) { return summary(c); });
              }});

  router.add({"ListCertificatesByCA", "GET", "/certificates-by-ca/{caCertificateId}", svc,
              [&self](Call& call) -> Reply {
                auto id = id_label(call, "caCertificateId");
                if (!id) return bad_id("caCertificateId");
                call.resource = self.partition().arn("cacert", *id);
                if (!self.find_ca(*id)) return errors::not_found("CA certificate " + *id + " does not exist");
                auto all = self.list();
                std::erase_if(all, [&](const CertificatePtr& c) { return c->ca_certificate_id != *id; });
                return page_of<Certificate>(call, "certificates-by-ca:" + *id, all,
                                            [](const Certificate& c) { return summary(c); });
              }});

  router.add({"DeleteCertificate", "DELETE", "/certificates/{certificateId}", svc, [&self](Call& call) -> Reply {
                auto id = id_label(call, "certificateId");
                if (!id) return bad_id("certificateId");
                call.resource = self.partition().arn("cert", *id);
                std::string err;
                (void)query_bool(call, "forceDelete", &err);  // concerns policies: none can be attached yet
                if (!err.empty()) return errors::invalid_request(err);
                if (auto r = self.remove(*id); !r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"GetRegistrationCode", "GET", "/registrationcode", svc, [&self](Call&) -> Reply {
                auto code = self.registration_code();
                if (!code) return reply_error(code.error());
                return Reply::json({{"registrationCode", *code}});
              }});

  router.add({"RegisterCACertificate", "POST", "/cacertificate", svc, [&self, &tags](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                std::string err;
                CaRegistration req;
                req.set_active = query_bool(call, "setAsActive", &err).value_or(false);
                req.allow_auto_registration = query_bool(call, "allowAutoRegistration", &err).value_or(false);
                auto ca = string_member(*body, "caCertificate", &err);
                auto ver = string_member(*body, "verificationCertificate", &err);
                auto mode = string_member(*body, "certificateMode", &err);
                auto config = registration_config(*body, &err);
                auto tag_list = read_tags(*body, &err);
                if (!err.empty()) return errors::invalid_request(err);
                if (!ca) return errors::invalid_request("caCertificate is required");
                if (mode && *mode != "DEFAULT") {
                  return errors::invalid_request("certificateMode " + *mode + " is not supported: tenet serves DEFAULT only");
                }
                req.ca_pem = *ca;
                req.verification_pem = ver.value_or("");
                req.registration_config_json = config.value_or("");
                auto r = self.register_ca(req);
                if (!r) {
                  if (fault_of(r.error()) == Fault::kAlreadyExists) {
                    auto id = pki::certificate_id(*ca);
                    const std::string cid = id ? *id : "";
                    return errors::already_exists(r.error().detail, cid, self.partition().arn("cacert", cid));
                  }
                  return reply_error(r.error());
                }
                call.resource = (*r)->arn;
                if (!tag_list->empty()) {
                  if (auto t = tags.tag((*r)->arn, *tag_list); !t) return errors::from(t.error());
                }
                return Reply::json({{"certificateArn", (*r)->arn}, {"certificateId", (*r)->id}});
              }});

  router.add({"UpdateCACertificate", "PUT", "/cacertificate/{caCertificateId}", svc, [&self](Call& call) -> Reply {
                auto id = id_label(call, "caCertificateId");
                if (!id) return bad_id("caCertificateId");
                call.resource = self.partition().arn("cacert", *id);
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                std::optional<bool> active, autoreg;
                if (auto s = call.query_param("newStatus")) {
                  if (*s == "ACTIVE") active = true;
                  else if (*s == "INACTIVE") active = false;
                  else return errors::invalid_request("newStatus must be ACTIVE or INACTIVE");
                }
                if (auto s = call.query_param("newAutoRegistrationStatus")) {
                  if (*s == "ENABLE") autoreg = true;
                  else if (*s == "DISABLE") autoreg = false;
                  else return errors::invalid_request("newAutoRegistrationStatus must be ENABLE or DISABLE");
                }
                std::string err;
                auto config = registration_config(*body, &err);
                if (!err.empty()) return errors::invalid_request(err);
                if (auto rm = body->if_contains("removeAutoRegistration"); rm && rm->is_bool() && rm->as_bool()) {
                  autoreg = false;
                  config = std::string();
                }
                if (auto r = self.update_ca(*id, active, autoreg, config); !r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"DescribeCACertificate", "GET", "/cacertificate/{caCertificateId}", svc, [&self](Call& call) -> Reply {
                auto id = id_label(call, "caCertificateId");
                if (!id) return bad_id("caCertificateId");
                call.resource = self.partition().arn("cacert", *id);
                auto ca = self.find_ca(*id);
                if (!ca) return errors::not_found("CA certificate " + *id + " does not exist");
                json::object out{{"certificateDescription", describe_ca(*ca, self.partition())}};
                if (!ca->registration_config_json.empty()) {
                  boost::system::error_code ec;
                  auto v = json::parse(ca->registration_config_json, ec);
                  if (!ec && v.is_object() && !v.as_object().empty()) out["registrationConfig"] = v;
                }
                return Reply::json(std::move(out));
              }});

  router.add({"ListCACertificates", "GET", "/cacertificates", svc, [&self](Call& call) -> Reply {
                auto all = self.list_cas();
                if (auto t = call.query_param("templateName")) {
                  std::erase_if(all, [&](const CaCertificatePtr& c) {
                    boost::system::error_code ec;
                    auto v = json::parse(c->registration_config_json, ec);
                    const auto* name = !ec && v.is_object() ? v.as_object().if_contains("templateName") : nullptr;
                    return !name || !name->is_string() || name->as_string() != *t;
                  });
                }
                return page_of<CaCertificate>(call, "cacertificates", all, [](const CaCertificate& c) {
                  return json::object{{"certificateArn", c.arn},
                                      {"certificateId", c.id},
                                      {"status", c.active ? "ACTIVE" : "INACTIVE"},
                                      {"creationDate", seconds(c.created_ms)}};
                });
              }});

  router.add({"DeleteCACertificate", "DELETE", "/cacertificate/{caCertificateId}", svc,
              [&self, &tags](Call& call) -> Reply {
                auto id = id_label(call, "caCertificateId");
                if (!id) return bad_id("caCertificateId");
                const std::string arn = self.partition().arn("cacert", *id);
                call.resource = arn;
                if (auto r = self.remove_ca(*id); !r) return reply_error(r.error());
                (void)tags.forget(arn);
                return Reply::empty();
              }});

  // tenet's own: a customer CA's CRL (docs/identity.md#crls).
  router.add({"PutCACertificateCrl", "PUT", "/tenet/cacertificate/{caCertificateId}/crl", svc,
              [&self](Call& call) -> Reply {
                auto id = id_label(call, "caCertificateId");
                if (!id) return bad_id("caCertificateId");
                call.resource = self.partition().arn("cacert", *id);
                std::string bytes = call.body;
                if (auto p = bytes.find_first_not_of(" \t\r\n"); p != std::string::npos && bytes[p] == '{') {
                  auto body = call.json();
                  if (!body) return errors::invalid_request(body.error().detail);
                  std::string err;
                  auto crl = string_member(*body, "crl", &err);
                  if (!err.empty()) return errors::invalid_request(err);
                  if (!crl) return errors::invalid_request("crl is required (PEM), or send the CRL itself as the body");
                  bytes = *crl;
                }
                if (bytes.empty()) return errors::invalid_request("the body must be a CRL (PEM or DER)");
                auto r = self.load_crl(*id, bytes);
                if (!r) return reply_error(r.error());
                auto ca = self.find_ca(*id);
                if (!ca || !ca->crl) return errors::not_found("CA certificate " + *id + " does not exist");
                return Reply::json(describe_crl(*ca));
              }});
  router.add({"DescribeCACertificateCrl", "GET", "/tenet/cacertificate/{caCertificateId}/crl", svc,
              [&self](Call& call) -> Reply {
                auto id = id_label(call, "caCertificateId");
                if (!id) return bad_id("caCertificateId");
                call.resource = self.partition().arn("cacert", *id);
                auto ca = self.find_ca(*id);
                if (!ca) return errors::not_found("CA certificate " + *id + " does not exist");
                if (!ca->crl) return errors::not_found("CA certificate " + *id + " has no CRL");
                return Reply::json(describe_crl(*ca));
              }});
  router.add({"DeleteCACertificateCrl", "DELETE", "/tenet/cacertificate/{caCertificateId}/crl", svc,
              [&self](Call& call) -> Reply {
                auto id = id_label(call, "caCertificateId");
                if (!id) return bad_id("caCertificateId");
                call.resource = self.partition().arn("cacert", *id);
                if (auto r = self.remove_crl(*id); !r) return reply_error(r.error());
                return Reply::empty();
              }});
}

}  // namespace tenet::certs
