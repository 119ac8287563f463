#pragma once

// The topic-filter trie one event loop matches publishes against. Each loop owns a replica and is the
// only thread that reads or writes it, so matching takes no lock; updates are posted to every loop
// (see Broker). Not thread-safe by design: confine to one loop.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mqtt/packet.h"

namespace tenet::broker {

class Session;

struct Subscriber {
  std::shared_ptr<Session> session;
  mqtt::SubscriptionOptions options;
  std::uint32_t identifier = 0;
};

// One match of a publish: the session, the options of its matching subscription (the highest QoS when
// several of its non-shared filters match), and whether it came through a shared subscription.
struct Match {
  Session* session = nullptr;
  const Subscriber* subscriber = nullptr;
  bool shared = false;
};

class SubscriptionIndex {
 public:
  SubscriptionIndex();
  ~SubscriptionIndex();

  // Adds or replaces the subscription of `sub.session` to `filter` (which may be "$share/g/f").
  void add(std::string_view filter, Subscriber sub);
  // Removes it; no-op if absent.
  void remove(std::string_view filter, const Session* session);

  // Appends the matches of `topic` to `out` (cleared first): one entry per session for non-shared
  // subscriptions, one per shared group (a member chosen round-robin, preferring online ones).
  // `prefer` tells whether a session is online; may be empty.
  void match(std::string_view topic, std::vector<Match>& out, const std::function<bool(const Session*)>& online = {});

  std::size_t size() const { return count_; }
  void clear() {
    root_ = std::make_unique<Node>();
    count_ = 0;
  }

 private:
  struct Node;
  struct SharedGroup {
    std::string name;
    std::vector<Subscriber> members;
    std::size_t next = 0;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Node {
    std::unordered_map<std::string, std::unique_ptr<Node>, StringHash, std::equal_to<>> children;
    std::unique_ptr<Node> plus;
    std::unique_ptr<Node> hash;  // holds subscribers of "<path>/#"
    std::vector<Subscriber> subs;
    std::vector<SharedGroup> shared;
    bool empty() const { return children.empty() && !plus && !hash && subs.empty() && shared.empty(); }
  };

  Node* find_or_create(std::string_view filter);
  void collect(Node& n, std::vector<Match>& out, const std::function<bool(const Session*)>& online);
  void walk(Node& n, std::string_view topic, std::size_t pos, bool at_end, bool dollar, std::vector<Match>& out,
            const std::function<bool(const Session*)>& online);
  bool remove_rec(Node& n, std::string_view filter, std::size_t pos, bool at_end, std::string_view group,
                  const Session* session);

  std::unique_ptr<Node> root_;
  std::size_t count_ = 0;
};

}  // namespace tenet::broker
