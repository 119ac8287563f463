#pragma once

// AWS error replies (x-amzn-ErrorType header + {"__type", "message"} body) with the HTTP status
// the botocore `iot` model gives each error (reference 3.3). One function per modeled error, so
// that status and name cannot drift apart.

#include <string>
#include <string_view>

#include "control/call.h"
#include "core/result.h"

namespace tenet::control::errors {

Reply make(int status, std::string_view type, std::string message);

Reply invalid_request(std::string message);        // 400 InvalidRequestException
Reply not_found(std::string message);              // 404 ResourceNotFoundException
// 409 ResourceAlreadyExistsException, with the modeled resourceId/resourceArn members.
Reply already_exists(std::string message, std::string_view resource_id = {}, std::string_view resource_arn = {});
Reply unauthorized(std::string message);           // 401 UnauthorizedException
Reply access_denied(std::string message);          // 403 AccessDeniedException (operator policy)
Reply throttling(std::string message);             // 400 ThrottlingException
Reply version_conflict(std::string message);       // 409 VersionConflictException
Reply delete_conflict(std::string message);        // 409 DeleteConflictException
Reply conflict(std::string message);               // 409 ConflictException
Reply certificate_state(std::string message);      // 406 CertificateStateException
Reply certificate_validation(std::string message); // 400 CertificateValidationException
Reply certificate_conflict(std::string message);   // 409 CertificateConflictException
Reply limit_exceeded(std::string message);         // 410 LimitExceededException
Reply versions_limit_exceeded(std::string message);// 409 VersionsLimitExceededException
Reply malformed_policy(std::string message);       // 400 MalformedPolicyException
Reply invalid_query(std::string message);          // 400 InvalidQueryException
Reply invalid_state_transition(std::string message);  // 409 InvalidStateTransitionException
Reply not_configured(std::string message);         // 404 NotConfiguredException
Reply service_unavailable(std::string message);    // 503 ServiceUnavailableException
Reply internal_failure(std::string message);       // 500 InternalFailureException

// The default translation of a core::Error for handlers without a more specific error:
// kNotFound 404, kAlreadyExists 409, kConflict 409 ConflictException, kResourceExhausted 410,
// kUnavailable/kTimeout 503, kPermissionDenied 401, argument errors 400, the rest 500.
Reply from(const core::Error& e);

}  // namespace tenet::control::errors
