#include "broker/reason_codes.h"

namespace tenet::broker {

mqtt::ReasonCode to_reason_code(core::Errc code) {
  using mqtt::ReasonCode;
  switch (code) {
    case core::Errc::kMalformed: return ReasonCode::kMalformedPacket;
    case core::Errc::kProtocolViolation: return ReasonCode::kProtocolError;
    case core::Errc::kInvalidArgument: return ReasonCode::kProtocolError;
    case core::Errc::kUnauthenticated: return ReasonCode::kBadUserNameOrPassword;
    case core::Errc::kPermissionDenied: return ReasonCode::kNotAuthorized;
    case core::Errc::kResourceExhausted: return ReasonCode::kQuotaExceeded;
    case core::Errc::kTimeout: return ReasonCode::kKeepAliveTimeout;
    case core::Errc::kUnavailable: return ReasonCode::kServerUnavailable;
    case core::Errc::kCancelled: return ReasonCode::kServerShuttingDown;
    case core::Errc::kNotFound: return ReasonCode::kUnspecifiedError;
    case core::Errc::kAlreadyExists: return ReasonCode::kUnspecifiedError;
    case core::Errc::kConflict: return ReasonCode::kUnspecifiedError;
    case core::Errc::kInternal: return ReasonCode::kUnspecifiedError;
  }
  return ReasonCode::kUnspecifiedError;
}

}  // namespace tenet::broker
