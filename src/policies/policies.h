#pragma once

// The policy store of issue 5 (docs/policy.md#policy-operations): named AWS IoT policies with up to
// five immutable versions each (one of them the default, the only one enforced), their attachments
// to targets (certificate and thing-group ARNs), and the control-plane operations of the AWS model
// (CreatePolicy ... TestAuthorization) through add_operations(). Every version is compiled once by
// the policy engine (src/policy) when it is created or loaded; the broker reads the compiled default
// versions through policies_for_targets() without touching SQL.
//
// Threading: every member function may be called from any thread.
//  - Reads (find, list, policies_for_targets, generation, ...) take a shared lock on the in-memory
//    index (held only to copy shared_ptrs out) and never touch SQLite.
//  - Writes are serialised by a writer mutex that also owns the database connection. Each write
//    commits to SQLite first, then swaps the in-memory state under the exclusive lock, bumps the
//    generation counter, and finally calls the observers on the writing thread with no lock held
//    (observers may call reads, must not call writes).
//  - Callbacks (set_target_query, set_group_ancestors, set_thing_groups, set_context_builder) and
//    observers must be set before serving: setting them is not synchronised with their use.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "control/arn.h"
#include "core/clock.h"
#include "core/result.h"
#include "policy/context.h"
#include "policy/policy.h"

namespace tenet::store {
class Db;
}

namespace tenet::control {
class Router;
class Tags;
}  // namespace tenet::control

namespace tenet::policies {

// Which AWS error a failed write maps to. Errors returned by PolicyStore carry one in
// core::Error::cause (fault_of() reads it back); the core::Errc is the closest generic code.
enum class Fault {
  kInvalidRequest,         // 400 InvalidRequestException
  kNotFound,               // 404 ResourceNotFoundException
  kAlreadyExists,          // 409 ResourceAlreadyExistsException
  kMalformedPolicy,        // 400 MalformedPolicyException
  kVersionsLimitExceeded,  // 409 VersionsLimitExceededException
  kDeleteConflict,         // 409 DeleteConflictException
  kLimitExceeded,          // 410 LimitExceededException
};
const std::error_category& fault_category();
std::optional<Fault> fault_of(const core::Error& e);

inline constexpr std::size_t kMaxVersions = 5;             // per policy (AWS)
inline constexpr std::size_t kDefaultMaxPoliciesPerTarget = 10;  // per certificate / thing group

struct Options {
  // AttachPolicy beyond this many policies on one target is LimitExceededException.
  std::size_t max_policies_per_target = kDefaultMaxPoliciesPerTarget;
};

// One immutable version of a policy.
struct Version {
  std::string id;                 // decimal: "1", "2", ...; increasing per policy, never reused
  std::string document;           // as submitted
  std::int64_t created_at_ms = 0;
  std::shared_ptr<const policy::Policy> compiled;  // null only if a stored document no longer compiles
};

// A policy as one immutable snapshot; a write replaces the whole snapshot.
struct Policy {
  std::string name;
  std::string arn;                 // arn:aws:iot:<region>:<account>:policy/<name>
  std::string default_version_id;
  std::int64_t created_at_ms = 0;
  std::int64_t modified_at_ms = 0;  // last change of its versions or default version
  std::string generation_id;        // 64 hex digits; changes with every change of the policy
  std::uint64_t last_version = 0;   // highest version id ever issued (ids are not reused)
  std::vector<Version> versions;    // ascending by id

  const Version* find_version(std::string_view id) const;
  const Version& default_version() const;  // REQUIRES: the snapshot is valid (always has it)
};
using PolicyPtr = std::shared_ptr<const Policy>;

// What a write changed, for observers (the integrator re-binds live sessions of `targets`).
struct Change {
  enum class Kind {
    kCreated,         // CreatePolicy (no targets yet)
    kDeleted,         // DeletePolicy (it had no targets)
    kVersionCreated,  // CreatePolicyVersion; targets non-empty only when it became the default
    kVersionDeleted,  // DeletePolicyVersion (never the default: targets empty)
    kDefaultChanged,  // SetDefaultPolicyVersion: every target of the policy
    kAttached,        // AttachPolicy: the one target
    kDetached,        // DetachPolicy / forget_target: the target(s)
  };
  Kind kind = Kind::kCreated;
  std::string policy_name;
  std::vector<std::string> targets;  // target ARNs whose effective (default-version) policies changed
  std::uint64_t generation = 0;      // generation() after this change
};

// Kinds of targets AttachPolicy accepts.
enum class TargetType { kCertificate, kThingGroup };
// Parses a target ARN of this hub: arn:aws:iot:<region>:<account>:cert/<id> or .../thinggroup/<name>,
// with the region and account of `partition`. nullopt for anything else.
std::optional<TargetType> parse_target(std::string_view arn, const control::Partition& partition);

// Policy names: 1..128 characters of [A-Za-z0-9_+=,.@-].
bool valid_policy_name(std::string_view name);

class PolicyStore {
 public:
  // Opens the tables of the (already migrated) database at `db_path` and loads and compiles every
  // policy version. A stored document that no longer compiles is loaded without a compiled policy
  // (it grants nothing) and logged. Errors: kUnavailable, kInternal.
  static core::Result<std::unique_ptr<PolicyStore>> open(const std::string& db_path, control::Partition partition,
                                                         const core::Clock& clock, Options options = {});
  ~PolicyStore();
  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;

  // ---- hot path (broker, any thread) ----

  // The compiled DEFAULT versions of the policies attached to any of `target_arns`, each policy
  // once, in target order then policy-name order. One shared-lock section and one vector
  // allocation; no SQL, no string allocation.
  std::vector<std::shared_ptr<const policy::Policy>> policies_for_targets(std::span<const std::string> target_arns) const;
  // Bumped by every committed change to a policy version, a default version or an attachment
  // (and by create/delete). A session bound at generation g is current while generation() == g.
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

  // ---- reads ----
  PolicyPtr find(std::string_view name) const;
  std::vector<PolicyPtr> list() const;                                      // by name
  std::vector<std::string> targets_of(std::string_view policy_name) const;  // sorted ARNs
  std::vector<std::string> policies_of(std::string_view target_arn) const;  // sorted names
  bool has_attachments(std::string_view target_arn) const;

  // ---- writes (control plane). Errors carry a Fault. ----

  // CreatePolicy: version "1", the default. Faults: kInvalidRequest (name), kAlreadyExists,
  // kMalformedPolicy (the engine's message, naming the statement and field).
  core::Result<PolicyPtr> create(std::string_view name, std::string_view document);
  // CreatePolicyVersion. Faults: kNotFound, kMalformedPolicy, kVersionsLimitExceeded (5 exist).
  core::Result<PolicyPtr> create_version(std::string_view name, std::string_view document, bool set_as_default);
  // SetDefaultPolicyVersion. Faults: kNotFound (policy or version).
  core::Result<void> set_default(std::string_view name, std::string_view version_id);
  // DeletePolicyVersion. Faults: kNotFound, kDeleteConflict (the default version).
  core::Result<void> remove_version(std::string_view name, std::string_view version_id);
  // DeletePolicy. Faults: kNotFound, kDeleteConflict (attached to a target, or non-default
  // versions exist).
  core::Result<void> remove(std::string_view name);
  // AttachPolicy; attaching twice is a no-op (no change, no generation bump). Faults: kNotFound
  // (policy; target when the target query says it does not exist), kInvalidRequest (not a
  // certificate or thing-group ARN of this hub), kLimitExceeded (max_policies_per_target).
  core::Result<void> attach(std::string_view name, std::string_view target_arn);
  // DetachPolicy; detaching what is not attached is a no-op. Faults: kNotFound (policy),
  // kInvalidRequest (target ARN).
  core::Result<void> detach(std::string_view name, std::string_view target_arn);
  // Drops every attachment of a deleted target (certificate or thing group deleted).
  core::Result<void> forget_target(std::string_view target_arn);

  // ---- integration ----

  void on_change(std::function<void(const Change&)> observer);
  // Whether a target ARN exists (certificate registered, thing group exists). Unset: every
  // well-formed certificate / thing-group ARN of this hub is accepted.
  void set_target_query(std::function<bool(std::string_view arn)> exists);
  // The ancestors of a thing group, parent first (ListAttachedPolicies recursive=true, effective
  // policies). Unset: no ancestors.
  void set_group_ancestors(std::function<std::vector<std::string>(std::string_view group_name)> ancestors);
  // The static thing groups of a thing, ancestors included (GetEffectivePolicies, TestAuthorization).
  // Unset: none.
  void set_thing_groups(std::function<std::vector<std::string>(std::string_view thing_name)> groups);
  // The policy::Context of a principal (certificate ARN) connecting with `client_id`
  // (TestAuthorization). Unset: a context holding the client id only.
  void set_context_builder(
      std::function<policy::Context(std::string_view principal_arn, std::string_view client_id)> builder);

  const control::Partition& partition() const { return partition_; }
  policy::Scope scope() const;

  // The control-plane operations (docs/policy.md#policy-operations); makes "policy" ARNs taggable.
  // The store and `tags` must outlive the router.
  void add_operations(control::Router& router, control::Tags& tags);

 private:
  friend struct Operations;
  PolicyStore(std::unique_ptr<store::Db> db, control::Partition partition, const core::Clock& clock, Options options);
  core::Result<void> load();
  core::Result<std::shared_ptr<const policy::Policy>> compile(std::string_view name, std::string_view version_id,
                                                              std::string_view document) const;
  std::string new_generation_id() const;
  // Publishes a committed change: bumps the generation and notifies observers (no lock held).
  void publish(Change change);
  bool target_exists(std::string_view arn) const;
  bool has_any_target(std::string_view name) const;

  control::Partition partition_;
  const core::Clock& clock_;
  Options options_;

  std::mutex write_mu_;  // serialises writes; guards db_
  std::unique_ptr<store::Db> db_;

  mutable std::shared_mutex mu_;  // guards the maps below
  std::map<std::string, PolicyPtr, std::less<>> policies_;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> by_target_;  // target -> names
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> targets_;    // name -> targets

  std::atomic<std::uint64_t> generation_{0};
  std::vector<std::function<void(const Change&)>> observers_;
  std::function<bool(std::string_view)> target_query_;
  std::function<std::vector<std::string>(std::string_view)> group_ancestors_;
  std::function<std::vector<std::string>(std::string_view)> thing_groups_;
  std::function<policy::Context(std::string_view, std::string_view)> context_builder_;
};

}  // namespace tenet::policies
