#include "policy/actions.h"

#include <array>
#include <string>
#include <vector>

#include "policy/detail/glob.h"

namespace tenet::policy {
namespace {

constexpr std::array<std::string_view, action::kDataPlaneCount> kDataPlane = {
    "Connect",
    "Publish",
    "RetainPublish",
    "Subscribe",
    "Receive",
    "GetThingShadow",
    "UpdateThingShadow",
    "DeleteThingShadow",
    "ListNamedShadowsForThing",
    "GetRetainedMessage",
    "ListRetainedMessages",
    "DeleteConnection",
    "AssumeRoleWithCertificate",
    "DescribeJobExecution",
    "GetPendingJobExecutions",
    "StartNextPendingJobExecution",
    "UpdateJobExecution",
};

constexpr std::string_view kControlPlane[] = {
#include "policy/detail/control_plane_actions.inc"
};

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

struct Table {
  std::vector<std::string> names;     // "iot:X"
  std::vector<std::string> alt;       // "iotjobsdata:X" or empty
  Table() {
    for (std::size_t i = 0; i < kDataPlane.size(); ++i) {
      names.push_back("iot:" + std::string(kDataPlane[i]));
      alt.push_back(i >= action::kDescribeJobExecution ? "iotjobsdata:" + std::string(kDataPlane[i])
                                                       : std::string());
    }
    for (std::string_view op : kControlPlane) {
      bool dup = false;
      for (std::string_view d : kDataPlane) dup = dup || d == op;
      if (dup) continue;  // e.g. DescribeJobExecution: one id for both planes
      names.push_back("iot:" + std::string(op));
      alt.emplace_back();
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

std::size_t action_count() noexcept { return table().names.size(); }

std::string_view action_name(ActionId id) noexcept {
  const Table& t = table();
  return id < t.names.size() ? std::string_view(t.names[id]) : std::string_view();
}

std::optional<ActionId> find_action(std::string_view name) noexcept {
  const Table& t = table();
  for (std::size_t i = 0; i < t.names.size(); ++i) {
    if (iequals(t.names[i], name) || (!t.alt[i].empty() && iequals(t.alt[i], name))) {
      return static_cast<ActionId>(i);
    }
  }
  return std::nullopt;
}

ActionSet match_actions(std::string_view pattern) {
  const Table& t = table();
  const detail::Glob g = detail::Glob::parse(pattern);
  ActionSet set;
  for (std::size_t i = 0; i < t.names.size(); ++i) {
    if (g.match(t.names[i], {}, true) || (!t.alt[i].empty() && g.match(t.alt[i], {}, true))) {
      set.set(i);
    }
  }
  return set;
}

}  // namespace tenet::policy
