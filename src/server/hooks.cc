#include "server/hooks.h"

namespace tenet::server {

broker::Admission ServerHooks::admit(authz::Principal& who, std::string_view der, std::string_view peer) {
  if (!admit_fn) return broker::Admission{false, "not authorized", "no identity registry is configured"};
  return admit_fn(who, der, peer);
}

void ServerHooks::on_connected(const authz::Principal& who, std::string_view peer, bool session_present) {
  if (connected_fn) connected_fn(who, peer, session_present);
}

void ServerHooks::on_disconnected(const authz::Principal& who, mqtt::ReasonCode reason, bool client_initiated,
                                  bool lost) {
  if (disconnected_fn) disconnected_fn(who, aws_disconnect_reason(reason, client_initiated, lost), client_initiated);
}

std::string_view aws_disconnect_reason(mqtt::ReasonCode reason, bool client_initiated, bool lost) {
  using R = mqtt::ReasonCode;
  if (client_initiated) return "CLIENT_INITIATED_DISCONNECT";
  if (lost) return "CONNECTION_LOST";
  switch (reason) {
    case R::kKeepAliveTimeout:
      return "MQTT_KEEP_ALIVE_TIMEOUT";
    case R::kSessionTakenOver:
      return "DUPLICATE_CLIENTID";
    case R::kNotAuthorized:
      return "AUTHORIZATION_FAILURE";
    case R::kAdministrativeAction:
      return "SERVER_INITIATED_DISCONNECT";
    case R::kServerShuttingDown:
      return "SERVER_ERROR";
    case R::kMessageRateTooHigh:
    case R::kQuotaExceeded:
    case R::kReceiveMaximumExceeded:
      return "THROTTLED";
    case R::kMalformedPacket:
    case R::kProtocolError:
    case R::kTopicNameInvalid:
    case R::kTopicAliasInvalid:
    case R::kPacketTooLarge:
    case R::kPayloadFormatInvalid:
    case R::kPacketIdentifierInUse:
    case R::kPacketIdentifierNotFound:
    case R::kTopicFilterInvalid:
    case R::kRetainNotSupported:
    case R::kQosNotSupported:
      return "CLIENT_ERROR";
    default:
      return "SERVER_INITIATED_DISCONNECT";
  }
}

}  // namespace tenet::server
