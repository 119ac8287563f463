#pragma once

// What the policy engine knows about one connection. The identity module fills it at CONNECT;
// the engine reads it once in bind(). Plain data: copy it, share it, no invariants.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tenet::policy {

// An X.509 distinguished name as ordered (attribute, value) pairs, in certificate order. Attribute
// names are the AWS ones: DistinguishedNameQualifier, Country, Organization, OrganizationalUnit,
// State, CommonName, SerialNumber, Title, Surname, GivenName, Initials, Pseudonym,
// GenerationQualifier. A repeated attribute is multi-valued: the first occurrence is
// `${iot:Certificate.Subject.OrganizationalUnit}`, the second `...OrganizationalUnit.1`.
using DistinguishedName = std::vector<std::pair<std::string, std::string>>;

// Subject/issuer alternative names by kind, in certificate order.
struct AlternativeNames {
  std::vector<std::string> rfc822_name;
  std::vector<std::string> dns_name;
  std::vector<std::string> directory_name;
  std::vector<std::string> uniform_resource_identifier;
  std::vector<std::string> ip_address;
};

struct CertificateInfo {
  DistinguishedName subject;
  DistinguishedName issuer;
  std::string serial_number;  // as AWS shows it (hex, no separators); empty = unknown
  AlternativeNames subject_alternative_names;
  AlternativeNames issuer_alternative_names;
};

// The thing associated with the connection (AWS: client ID equals the thing name, or an
// exclusive principal association). Absent = no thing: every iot:Connection.Thing.* is unset.
struct ThingInfo {
  std::string name;
  std::string type_name;                          // empty = no thing type
  std::map<std::string, std::string> attributes;  // registry attributes
  bool is_attached = false;                       // thing attached to the connecting principal
};

struct Context {
  std::string client_id;    // empty = unset
  std::string source_ip;    // textual IPv4 or IPv6 address; empty = unset
  std::string domain_name;  // iot:DomainName; empty = unset
  std::optional<ThingInfo> thing;
  std::optional<CertificateInfo> certificate;
  // iot:ConnectAttributes: "PersistentConnect" (clean start = 0) and "LastWill" (a will is set).
  bool persistent_connect = false;
  bool last_will = false;
  // Any other condition key (compared case-insensitively), multi-valued. Also consulted for
  // `${...}` variables that are not built in (first value).
  std::map<std::string, std::vector<std::string>> extra_keys;
};

}  // namespace tenet::policy
