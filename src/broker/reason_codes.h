#pragma once

// The one translation from core::Errc to MQTT 5 reason codes for the broker boundary.

#include "core/errc.h"
#include "mqtt/packet.h"

namespace tenet::broker {

mqtt::ReasonCode to_reason_code(core::Errc code);

}  // namespace tenet::broker
