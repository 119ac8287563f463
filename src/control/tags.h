#pragma once

// Resource tags (TagResource, UntagResource, ListTagsForResource) for every taggable resource,
// keyed by ARN, and the rules AWS applies: at most 50 tags per resource, keys 1..128 characters,
// values 0..256, the "aws:" prefix reserved. Which ARNs can be tagged is decided by the resource
// types registered with add_type(): each says whether a resource of its type exists. Thread-safe.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"

namespace tenet::store {
class Db;
}

namespace tenet::control {

using Tag = std::pair<std::string, std::string>;  // key, value

class Tags {
 public:
  // Errors: kUnavailable, kInternal.
  static core::Result<std::unique_ptr<Tags>> open(const std::string& db_path);
  ~Tags();

  // `exists` answers for names of `resource_type` ("thinggroup", "policy", ...).
  void add_type(std::string resource_type, std::function<bool(std::string_view name)> exists);

  // Errors: kInvalidArgument (bad key/value, reserved prefix, not a taggable ARN), kNotFound (no
  // such resource), kResourceExhausted (over 50 tags).
  core::Result<void> tag(std::string_view arn, const std::vector<Tag>& tags);
  core::Result<void> untag(std::string_view arn, const std::vector<std::string>& keys);
  // Sorted by key. Errors: as tag() for the ARN.
  core::Result<std::vector<Tag>> list(std::string_view arn);
  // Removes every tag of a deleted resource.
  core::Result<void> forget(std::string_view arn);

 private:
  explicit Tags(std::unique_ptr<store::Db> db);
  core::Result<void> check_resource(std::string_view arn) const;  // REQUIRES: mu_ held

  std::mutex mu_;
  std::unique_ptr<store::Db> db_;
  std::unordered_map<std::string, std::function<bool(std::string_view)>> types_;
};

}  // namespace tenet::control
