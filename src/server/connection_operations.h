#pragma once

// Data-plane operations that act on live MQTT connections: DeleteConnection (iot-data,
// `DELETE /connections/{clientId}?cleanSession=&preventWillMessage=`).

#include "broker/broker.h"
#include "control/router.h"

namespace tenet::server {

// `broker` must outlive the router.
void add_connection_operations(control::Router& router, broker::Broker& broker);

}  // namespace tenet::server
