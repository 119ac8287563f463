#include "store/detail/ops.h"

#include <limits>
#include <string>
#include <type_traits>

namespace tenet::store::detail {
namespace {

constexpr std::uint64_t kMaxId = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

core::Result<void> check_message(const StoredMessage& m, std::string_view op) {
  if (m.qos > 2) return core::fail(core::Errc::kInvalidArgument, std::string(op) + ": message QoS above 2");
  if (m.id > kMaxId) return core::fail(core::Errc::kInvalidArgument, std::string(op) + ": message id above 2^63-1");
  return {};
}

core::Result<void> check(const Op& op) {
  return std::visit(
      [](const auto& o) -> core::Result<void> {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, op::PutRetained>) {
          return check_message(o.message, "PutRetained");
        } else if constexpr (std::is_same_v<T, op::Enqueue>) {
          if (auto r = check_message(o.message, "Enqueue"); !r) return r;
          for (const auto& [client_id, qos] : o.targets) {
            if (qos > 2) return core::fail(core::Errc::kInvalidArgument, "Enqueue: QoS above 2 for " + client_id);
          }
          return {};
        } else if constexpr (std::is_same_v<T, op::MarkSent>) {
          if (o.state > 1) return core::fail(core::Errc::kInvalidArgument, "MarkSent: state above 1");
          if (o.message_id > kMaxId) return core::fail(core::Errc::kInvalidArgument, "MarkSent: id above 2^63-1");
          return {};
        } else if constexpr (std::is_same_v<T, op::Dequeue>) {
          if (o.message_id > kMaxId) return core::fail(core::Errc::kInvalidArgument, "Dequeue: id above 2^63-1");
          return {};
        } else {
          return {};
        }
      },
      op);
}

}  // namespace

core::Result<void> validate(std::span<const Op> ops) {
  for (const Op& op : ops) {
    if (auto r = check(op); !r) return r;
  }
  return {};
}

}  // namespace tenet::store::detail
