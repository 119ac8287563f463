#include "server/connection_operations.h"

#include <chrono>
#include <future>

#include "control/errors.h"

namespace tenet::server {
namespace {

bool flag(const control::Call& call, std::string_view name) {
  auto v = call.query_param(name);
  return v && (*v == "true" || *v == "True" || *v == "1");
}

}  // namespace

void add_connection_operations(control::Router& router, broker::Broker& broker) {
  // botocore signs iot-data with "iotdata"; operators' tools may sign it as the control plane too.
  const std::vector<std::string> services{"iotdata", "iot", "execute-api"};
  router.add({"DeleteConnection", "DELETE", "/connections/{clientId}", services, [&broker](control::Call& call) {
                const std::string client_id(call.label("clientId"));
                call.resource = "client/" + client_id;
                broker::CloseOptions o;
                o.end_session = flag(call, "cleanSession");
                o.publish_will = !flag(call, "preventWillMessage");
                auto closed = std::make_shared<std::promise<std::size_t>>();
                auto result = closed->get_future();
                broker.close_where([client_id](const authz::Principal& p) { return p.client_id == client_id; },
                                   mqtt::ReasonCode::kAdministrativeAction, "connection deleted by an operator",
                                   [closed](std::size_t n) { closed->set_value(n); }, o);
                if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
                  return control::errors::service_unavailable("the broker did not answer in time");
                }
                if (result.get() == 0) {
                  return control::errors::not_found("no connected client with id " + client_id);
                }
                return control::Reply::empty();
              }});
}

}  // namespace tenet::server
