#include "authz/authorizer.h"

namespace tenet::authz {

std::string_view to_string(Action a) {
  switch (a) {
    case Action::kConnect: return "iot:Connect";
    case Action::kPublish: return "iot:Publish";
    case Action::kRetainPublish: return "iot:RetainPublish";
    case Action::kSubscribe: return "iot:Subscribe";
    case Action::kReceive: return "iot:Receive";
  }
  return "unknown";
}

}  // namespace tenet::authz
