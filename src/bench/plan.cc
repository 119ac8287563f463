#include "bench/plan.h"

#include "bench/topic_pattern.h"

namespace tenet::bench {

Plan make_plan(const Options& o) {
  Plan p;
  for (std::size_t i = 0; i < o.publishers; ++i) p.publisher_topics.push_back(expand(o.topic_pattern, i));
  switch (o.scenario) {
    case Scenario::kFanIn:
    case Scenario::kFanOut: {
      // One publisher: subscribe to its exact topic (the common fan-out shape, and the cheapest match).
      const std::string filter = o.publishers == 1 ? p.publisher_topics[0] : wildcard_filter(o.topic_pattern);
      p.subscriber_filters.assign(o.subscribers, filter);
      p.receivers_per_message = o.subscribers;
      break;
    }
    case Scenario::kPointToPoint:
      for (std::size_t i = 0; i < o.subscribers; ++i) p.subscriber_filters.push_back(expand(o.topic_pattern, i));
      p.receivers_per_message = 1;
      break;
  }
  return p;
}

}  // namespace tenet::bench
