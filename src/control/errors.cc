#include "control/errors.h"

namespace tenet::control::errors {

Reply make(int status, std::string_view type, std::string message) {
  Reply r;
  r.status = status;
  r.error_type = std::string(type);
  r.body = boost::json::object{{"__type", type}, {"message", std::move(message)}};
  return r;
}

Reply invalid_request(std::string m) { return make(400, "InvalidRequestException", std::move(m)); }
Reply not_found(std::string m) { return make(404, "ResourceNotFoundException", std::move(m)); }
Reply already_exists(std::string m, std::string_view id, std::string_view arn) {
  Reply r = make(409, "ResourceAlreadyExistsException", std::move(m));
  if (!id.empty()) r.body.as_object()["resourceId"] = id;
  if (!arn.empty()) r.body.as_object()["resourceArn"] = arn;
  return r;
}
Reply unauthorized(std::string m) { return make(401, "UnauthorizedException", std::move(m)); }
Reply access_denied(std::string m) { return make(403, "AccessDeniedException", std::move(m)); }
Reply throttling(std::string m) { return make(400, "ThrottlingException", std::move(m)); }
Reply version_conflict(std::string m) { return make(409, "VersionConflictException", std::move(m)); }
Reply delete_conflict(std::string m) { return make(409, "DeleteConflictException", std::move(m)); }
Reply conflict(std::string m) { return make(409, "ConflictException", std::move(m)); }
Reply certificate_state(std::string m) { return make(406, "CertificateStateException", std::move(m)); }
Reply certificate_validation(std::string m) { return make(400, "CertificateValidationException", std::move(m)); }
Reply certificate_conflict(std::string m) { return make(409, "CertificateConflictException", std::move(m)); }
Reply limit_exceeded(std::string m) { return make(410, "LimitExceededException", std::move(m)); }
Reply versions_limit_exceeded(std::string m) { return make(409, "VersionsLimitExceededException", std::move(m)); }
Reply malformed_policy(std::string m) { return make(400, "MalformedPolicyException", std::move(m)); }
Reply invalid_query(std::string m) { return make(400, "InvalidQueryException", std::move(m)); }
Reply invalid_state_transition(std::string m) { return make(409, "InvalidStateTransitionException", std::move(m)); }
Reply not_configured(std::string m) { return make(404, "NotConfiguredException", std::move(m)); }
Reply service_unavailable(std::string m) { return make(503, "ServiceUnavailableException", std::move(m)); }
Reply internal_failure(std::string m) { return make(500, "InternalFailureException", std::move(m)); }

Reply from(const core::Error& e) {
  switch (e.code) {
    case core::Errc::kInvalidArgument:
    case core::Errc::kMalformed:
    case core::Errc::kProtocolViolation:
      return invalid_request(e.detail);
    case core::Errc::kNotFound:
      return not_found(e.detail);
    case core::Errc::kAlreadyExists:
      return already_exists(e.detail);
    case core::Errc::kConflict:
      return conflict(e.detail);
    case core::Errc::kResourceExhausted:
      return limit_exceeded(e.detail);
    case core::Errc::kUnauthenticated:
    case core::Errc::kPermissionDenied:
      return unauthorized(e.detail);
    case core::Errc::kUnavailable:
    case core::Errc::kTimeout:
    case core::Errc::kCancelled:
      return service_unavailable(e.detail);
    case core::Errc::kInternal:
      return internal_failure(e.detail);
  }
  return internal_failure(e.detail);
}

}  // namespace tenet::control::errors
