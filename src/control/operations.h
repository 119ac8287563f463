#pragma once

// The control-plane operations of this module (docs/api.md lists every operation tenet serves).
// Later modules (registry, policies, shadows, Defender) add theirs to the same Router.

#include <string>
#include <vector>

#include "control/access_keys.h"
#include "control/arn.h"
#include "control/router.h"
#include "control/tags.h"

namespace tenet::control {

// SigV4 scope services accepted on the control plane. botocore signs `iot` requests with the
// model's signingName `execute-api` when --endpoint-url is given, and with `iot` otherwise.
const std::vector<std::string>& control_services();

struct Endpoints {
  std::string mqtt;           // iot:Data-ATS / iot:Data (the device endpoint)
  std::string credentials;    // iot:CredentialProvider ("" until served)
  std::string jobs;           // iot:Jobs ("" until served)
};

// DescribeEndpoint. `endpoints` is read at call time and must outlive the router.
void add_endpoint_operations(Router& router, const Endpoints& endpoints);
// tenet's own: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey under
// /tenet/access-keys. `keys` must outlive the router.
void add_access_key_operations(Router& router, AccessKeys& keys);
// TagResource, UntagResource, ListTagsForResource.
void add_tag_operations(Router& router, Tags& tags);

// tenet's own ListOperations (GET /tenet/operations): every route the server serves, for tooling
// and the model contract test. Add it last; it reads the router at call time.
void add_introspection_operations(Router& router);

// "127.0.0.1:8883" -> "127.0.0.1"; other ports are kept (docs/api.md#describeendpoint).
std::string advertised_endpoint(const std::string& host, unsigned port);

}  // namespace tenet::control
