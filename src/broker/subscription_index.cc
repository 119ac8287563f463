#include "broker/subscription_index.h"

#include <algorithm>

#include "mqtt/topic.h"

namespace tenet::broker {
namespace {

// Splits the level starting at pos; returns the level and the position after its '/', or npos at end.
std::string_view level_at(std::string_view s, std::size_t pos, std::size_t& next) {
  const std::size_t slash = s.find('/', pos);
  if (slash == std::string_view::npos) {
    next = std::string_view::npos;
    return s.substr(pos);
  }
  next = slash + 1;
  return s.substr(pos, slash - pos);
}

}  // namespace

SubscriptionIndex::SubscriptionIndex() : root_(std::make_unique<Node>()) {}
SubscriptionIndex::~SubscriptionIndex() = default;

SubscriptionIndex::Node* SubscriptionIndex::find_or_create(std::string_view filter) {
  Node* n = root_.get();
  std::size_t pos = 0;
  while (true) {
    std::size_t next;
    const std::string_view level = level_at(filter, pos, next);
    if (level == "#") {
      if (!n->hash) n->hash = std::make_unique<Node>();
      return n->hash.get();
    }
    if (level == "+") {
      if (!n->plus) n->plus = std::make_unique<Node>();
      n = n->plus.get();
    } else {
      auto it = n->children.find(level);
      if (it == n->children.end()) it = n->children.emplace(std::string(level), std::make_unique<Node>()).first;
      n = it->second.get();
    }
    if (next == std::string_view::npos) return n;
    pos = next;
  }
}

void SubscriptionIndex::add(std::string_view filter, Subscriber sub) {
  std::string_view group;
  if (auto sh = mqtt::parse_shared(filter)) {
    group = sh->group;
    filter = sh->filter;
  }
  Node* n = find_or_create(filter);
  if (group.empty()) {
    for (auto& s : n->subs) {
      if (s.session == sub.session) {
        s = std::move(sub);
        return;
      }
    }
    n->subs.push_back(std::move(sub));
  } else {
    auto g = std::find_if(n->shared.begin(), n->shared.end(), [&](const SharedGroup& x) { return x.name == group; });
    if (g == n->shared.end()) {
      n->shared.push_back(SharedGroup{std::string(group), {}, 0});
      g = n->shared.end() - 1;
    }
    for (auto& s : g->members) {
      if (s.session == sub.session) {
        s = std::move(sub);
        return;
      }
    }
    g->members.push_back(std::move(sub));
  }
  ++count_;
}

bool SubscriptionIndex::remove_rec(Node& n, std::string_view filter, std::size_t pos, bool at_end,
                                   std::string_view group, const Session* session) {
  bool removed = false;
  if (at_end) {
    if (group.empty()) {
      auto it = std::find_if(n.subs.begin(), n.subs.end(), [&](const Subscriber& s) { return s.session.get() == session; });
      if (it != n.subs.end()) {
        n.subs.erase(it);
        removed = true;
      }
    } else {
      auto g = std::find_if(n.shared.begin(), n.shared.end(), [&](const SharedGroup& x) { return x.name == group; });
      if (g != n.shared.end()) {
        auto it = std::find_if(g->members.begin(), g->members.end(),
                               [&](const Subscriber& s) { return s.session.get() == session; });
        if (it != g->members.end()) {
          g->members.erase(it);
          removed = true;
        }
        if (g->members.empty()) n.shared.erase(g);
      }
    }
    return removed;
  }
  std::size_t next;
  const std::string_view level = level_at(filter, pos, next);
  const bool last = next == std::string_view::npos;
  if (level == "#") {
    if (n.hash) {
      removed = remove_rec(*n.hash, filter, 0, true, group, session);
      if (n.hash->empty()) n.hash.reset();
    }
  } else if (level == "+") {
    if (n.plus) {
      removed = remove_rec(*n.plus, filter, next, last, group, session);
      if (n.plus->empty()) n.plus.reset();
    }
  } else if (auto it = n.children.find(level); it != n.children.end()) {
    removed = remove_rec(*it->second, filter, next, last, group, session);
    if (it->second->empty()) n.children.erase(it);
  }
  return removed;
}

void SubscriptionIndex::remove(std::string_view filter, const Session* session) {
  std::string_view group;
  if (auto sh = mqtt::parse_shared(filter)) {
    group = sh->group;
    filter = sh->filter;
  }
  if (remove_rec(*root_, filter, 0, false, group, session)) --count_;
}

void SubscriptionIndex::collect(Node& n, std::vector<Match>& out, const std::function<bool(const Session*)>& online) {
  for (const auto& s : n.subs) out.push_back(Match{s.session.get(), &s, false});
  for (auto& g : n.shared) {
    const std::size_t size = g.members.size();
    if (size == 0) continue;
    std::size_t pick = g.next % size;
    if (online) {
      for (std::size_t k = 0; k < size; ++k) {
        const std::size_t i = (g.next + k) % size;
        if (online(g.members[i].session.get())) {
          pick = i;
          break;
        }
      }
    }
    g.next = pick + 1;
    out.push_back(Match{g.members[pick].session.get(), &g.members[pick], true});
  }
}

void SubscriptionIndex::walk(Node& n, std::string_view topic, std::size_t pos, bool at_end, bool dollar,
                             std::vector<Match>& out, const std::function<bool(const Session*)>& online) {
  const bool at_root = (&n == root_.get());
  // "<path>/#" matches <path> itself and everything below; a leading wildcard never matches a '$' topic
  // [MQTT-4.7.2-1].
  if (n.hash && !(at_root && dollar)) collect(*n.hash, out, online);
  if (at_end) {
    collect(n, out, online);
    return;
  }
  std::size_t next;
  const std::string_view level = level_at(topic, pos, next);
  const bool last = next == std::string_view::npos;
  if (auto it = n.children.find(level); it != n.children.end()) walk(*it->second, topic, next, last, dollar, out, online);
  if (n.plus && !(at_root && dollar)) walk(*n.plus, topic, next, last, dollar, out, online);
}

void SubscriptionIndex::match(std::string_view topic, std::vector<Match>& out,
                              const std::function<bool(const Session*)>& online) {
  out.clear();
  walk(*root_, topic, 0, false, !topic.empty() && topic[0] == '$', out, online);
  // One delivery per session for its non-shared subscriptions: keep the highest granted QoS
  // (MQTT 5 allows one copy at the maximum QoS of the overlapping subscriptions).
  auto shared_begin = std::stable_partition(out.begin(), out.end(), [](const Match& m) { return !m.shared; });
  if (shared_begin - out.begin() > 1) {
    std::sort(out.begin(), shared_begin, [](const Match& a, const Match& b) {
      if (a.session != b.session) return a.session < b.session;
      return a.subscriber->options.qos > b.subscriber->options.qos;
    });
    auto last = std::unique(out.begin(), shared_begin, [](const Match& a, const Match& b) { return a.session == b.session; });
    out.erase(last, shared_begin);
  }
}

}  // namespace tenet::broker
