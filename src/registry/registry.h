#pragma once

// The thing registry (issue 4, docs/identity.md#things-types-and-groups): things, thing types,
// static and dynamic thing groups, thing <-> principal attachments, the fleet index (SearchIndex)
// and each thing's connectivity state, with their control-plane operations (add_operations).
//
// Storage: tables of migration 0004_registry.sql (docs/formats/sql-schema.md, "Thing registry").
// Everything is loaded into memory at open(); every change is written to SQLite first (one
// transaction), then applied to memory, then announced to observers. Connectivity and dynamic-group
// membership are derived, in-memory state: they are never written to SQLite (a restart starts with
// every thing disconnected; dynamic groups are re-evaluated at load).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "control/arn.h"
#include "core/clock.h"
#include "core/result.h"
#include "fleet_index/query.h"

namespace tenet::store {
class Db;
}
namespace tenet::control {
class Router;
class Tags;
}  // namespace tenet::control

namespace tenet::registry {

// Limits (docs/identity.md#limits). AWS quotas where the reference has them, tenet's choice where not.
inline constexpr std::size_t kMaxStaticGroupsPerThing = 10;  // AWS: 10 groups per thing (static only in tenet)
inline constexpr std::size_t kMaxGroupDepth = 7;             // a root group is at depth 1
inline constexpr std::size_t kMaxDynamicGroups = 100;
inline constexpr std::size_t kMaxAttributes = 50;            // per thing or group
inline constexpr std::size_t kMaxSearchableAttributes = 3;   // per thing type

// Registry failures carry a core::Errc (coarse) and, as Error::cause, one of these (the AWS error
// the control plane answers with). See fault_of().
enum class Fault {
  kInvalidRequest = 1,  // 400 InvalidRequestException
  kNotFound,            // 404 ResourceNotFoundException
  kAlreadyExists,       // 409 ResourceAlreadyExistsException
  kVersionConflict,     // 409 VersionConflictException
  kInvalidQuery,        // 400 InvalidQueryException
  kLimitExceeded,       // 410 LimitExceededException
};
const std::error_category& fault_category();
std::optional<Fault> fault_of(const core::Error& e);  // nullopt: not a registry fault (store errors)

// An immutable snapshot of a thing; a change replaces the snapshot (readers may keep old ones).
struct Thing {
  std::string name;
  std::string id;         // UUID
  std::string arn;        // arn:aws:iot:<region>:<account>:thing/<name>
  std::string type_name;  // "" when untyped
  std::map<std::string, std::string> attributes;
  std::int64_t version = 1;  // +1 at every UpdateThing
  std::int64_t created_ms = 0;
};
using ThingPtr = std::shared_ptr<const Thing>;

struct ThingType {
  std::string name;
  std::string id;
  std::string arn;  // ...:thingtype/<name>
  std::string description;
  std::vector<std::string> searchable_attributes;
  bool deprecated = false;
  std::int64_t deprecated_ms = 0;
  std::int64_t created_ms = 0;
};
using ThingTypePtr = std::shared_ptr<const ThingType>;

struct ThingGroup {
  std::string name;
  std::string id;
  std::string arn;  // ...:thinggroup/<name>
  std::string description;
  std::map<std::string, std::string> attributes;
  std::string parent;  // "" for a root group (always "" for dynamic groups)
  std::int64_t version = 1;
  std::int64_t created_ms = 0;
  bool dynamic = false;
  std::string query_string;  // dynamic groups only
  std::string query_version;
  std::string index_name;
};
using ThingGroupPtr = std::shared_ptr<const ThingGroup>;

// Indexed connectivity of a thing (== MQTT client id), as SearchIndex reports it.
struct Connectivity {
  bool connected = false;
  std::int64_t timestamp_ms = 0;   // of the last connect or disconnect
  std::string disconnect_reason;   // AWS names: CLIENT_INITIATED_DISCONNECT, DUPLICATE_CLIENTID, ...
  std::string session_id;          // of the current (or last) connection
  std::int64_t version_number = 0; // presence-event versionNumber: +1 per connect/disconnect of the client id
};

// An AWS lifecycle event to publish: $aws/events/presence/{connected|disconnected}/<clientId>.
struct PresenceEvent {
  std::string topic;
  std::string payload;  // JSON
};

struct PresenceFields {
  std::string client_id;
  std::int64_t timestamp_ms = 0;
  bool connected = true;
  std::string session_id;
  std::string principal;   // principalIdentifier (certificate id for X.509 devices)
  std::string ip_address;  // connected only
  std::int64_t version_number = 0;
  bool client_initiated = false;   // disconnected only
  std::string disconnect_reason;   // disconnected only
};
// The AWS presence event JSON: clientId, timestamp (ms), eventType, sessionIdentifier,
// principalIdentifier, versionNumber, plus ipAddress (connected) or clientInitiatedDisconnect and
// disconnectReason (disconnected).
PresenceEvent build_presence_event(const PresenceFields& f);

// A committed change, for observers.
struct Change {
  enum Kind {
    kPrincipalDetached,  // principal_arn detached from thing_name (close its sessions as that thing)
    kPrincipalAttached,  // principal_arn attached to thing_name
    kThingDeleted,       // thing_name deleted
    kThingUpdated,       // attributes or type of thing_name changed (or created)
    kGroupMembership,    // thing_name joined or left group_name (static or dynamic)
    kGroupHierarchy,     // group_name created, deleted, or its parent chain changed
  };
  Kind kind;
  std::string thing_name;
  std::string principal_arn;
  std::string group_name;
};

// Attribute changes as AttributePayload carries them: merge=false replaces every attribute,
// merge=true merges and an empty value removes that attribute.
struct AttributePayload {
  std::map<std::string, std::string> attributes;
  bool merge = false;
};

// The registry. Owned by the composition root; must outlive the router it adds operations to.
// Thread-safe: reads take a shared lock on in-memory maps and never touch SQLite; writes are
// serialised by a writer mutex that also owns the database connection, commit to SQLite, then apply
// to memory under the exclusive lock (held only for the in-memory update), then call observers with
// no lock held. connected()/disconnected() never touch SQLite.
class Registry {
 public:
  // Opens the tables in the migrated database at `db_path` and loads everything.
  // Errors: kUnavailable, kInternal (damaged rows).
  static core::Result<std::unique_ptr<Registry>> open(const std::string& db_path, control::Partition partition,
                                                      const core::Clock& clock);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // ---- hot path: any thread, shared lock, no SQL ----

  // The thing a CONNECT acts as (AWS rule): the thing exclusively attached to the certificate, else
  // the thing attached to it whose name equals the client id; nullptr when neither.
  ThingPtr thing_for_connection(std::string_view certificate_arn, std::string_view client_id) const;
  bool is_attached(std::string_view principal_arn, std::string_view thing_name) const;
  bool has_things(std::string_view principal_arn) const;  // for DeleteCertificate's 409
  ThingPtr find_thing(std::string_view name) const;
  ThingTypePtr find_type(std::string_view name) const;
  ThingGroupPtr find_group(std::string_view name) const;
  // The static groups the thing is in and all their ancestors, sorted (for policies, issue 5).
  std::vector<std::string> static_groups_with_ancestors(std::string_view thing_name) const;
  // The groups (static and dynamic) the thing is directly in, sorted.
  std::vector<std::string> groups_of(std::string_view thing_name) const;
  // Things directly in `group` (recursive: also in its descendants), sorted; empty if no such group.
  std::vector<std::string> things_in_group(std::string_view group, bool recursive) const;
  std::optional<Connectivity> connectivity(std::string_view thing_name) const;

  // ---- connectivity (broker threads; in-memory only; may run observers on the calling thread) ----

  // Records a connection of `client_id` (== thing name, whether or not such a thing exists yet) and
  // returns the presence event to publish. Re-evaluates the dynamic groups that read connectivity.*.
  PresenceEvent connected(std::string_view client_id, std::string_view principal, std::string_view ip,
                          std::int64_t ts_ms, std::string session_id);
  // Records a disconnection and returns the presence event. When `session_id` is not the client's
  // current session (a DUPLICATE_CLIENTID takeover already connected a newer one), the indexed state
  // stays connected; the event is still returned (AWS publishes it too).
  PresenceEvent disconnected(std::string_view client_id, std::string_view principal, std::string_view reason,
                             bool client_initiated, std::int64_t ts_ms, std::string session_id);

  // ---- hooks: register before serving ----

  // Observers run after the change is committed, on the thread that made it (the control plane or,
  // for dynamic membership following connectivity, a broker thread), with no registry lock held:
  // they may call read functions but must not call writes.
  void on_change(std::function<void(const Change&)> observer);
  // AttachThingPrincipal asks whether a principal exists (the certificate registry answers).
  // Unset: any well-formed certificate ARN is accepted.
  void set_principal_query(std::function<bool(std::string_view principal_arn)> query);

  // Other modules index extra fields per thing under `prefix` ("shadow", "deviceDefender"): `fields`
  // is flattened with fleet_index::add_json; null removes the prefix. Re-evaluates the dynamic
  // groups that read under the prefix. Unknown things are ignored (returns false).
  bool set_extra_fields(std::string_view thing_name, std::string_view prefix, const boost::json::value& fields);

  // ---- writes (control plane, CLI verbs). Errors carry a Fault (fault_of). ----

  struct NewThing {
    std::string name;
    std::string type_name;
    std::map<std::string, std::string> attributes;
  };
  // CreateThing; an identical re-create returns the existing thing. Faults: kInvalidRequest
  // (names, attributes, deprecated type), kNotFound (type), kAlreadyExists (different config).
  core::Result<ThingPtr> create_thing(const NewThing& request);
  struct ThingUpdate {
    std::optional<std::string> type_name;  // set the type
    bool remove_type = false;
    std::optional<AttributePayload> attributes;
    std::optional<std::int64_t> expected_version;
  };
  // UpdateThing (version +1). Faults: kNotFound, kInvalidRequest, kVersionConflict.
  core::Result<ThingPtr> update_thing(std::string_view name, const ThingUpdate& update);
  // DeleteThing: succeeds for a missing thing (AWS). Faults: kVersionConflict, kInvalidRequest
  // (principals attached).
  core::Result<void> delete_thing(std::string_view name, std::optional<std::int64_t> expected_version);
  struct ThingFilter {
    std::string attribute_name, attribute_value;
    bool attribute_prefix = false;
    std::string type_name;
  };
  std::vector<ThingPtr> list_things(const ThingFilter& filter) const;  // sorted by name

  // CreateThingType; identical re-create returns the existing. Faults: kInvalidRequest, kAlreadyExists.
  core::Result<ThingTypePtr> create_type(std::string_view name, std::string_view description,
                                         const std::vector<std::string>& searchable_attributes);
  // DeprecateThingType (undo: un-deprecate). Faults: kNotFound.
  core::Result<void> deprecate_type(std::string_view name, bool undo);
  // DeleteThingType: the type must be deprecated and no thing may use it (no 5-minute wait).
  // Faults: kNotFound, kInvalidRequest.
  core::Result<void> delete_type(std::string_view name);
  std::vector<ThingTypePtr> list_types() const;  // sorted by name

  struct NewGroup {
    std::string name;
    std::string parent;  // static only
    std::string description;
    std::map<std::string, std::string> attributes;
    bool dynamic = false;
    std::string query_string;  // dynamic only
    std::string query_version = "2017-09-30";
    std::string index_name = "AWS_Things";
  };
  // CreateThingGroup / CreateDynamicThingGroup; identical re-create returns the existing.
  // Faults: kInvalidRequest (names, parent missing/dynamic, depth), kAlreadyExists, kInvalidQuery,
  // kLimitExceeded (dynamic groups).
  core::Result<ThingGroupPtr> create_group(const NewGroup& request);
  struct GroupUpdate {
    std::optional<std::string> description;
    std::optional<AttributePayload> attributes;
    std::optional<std::string> query_string;  // dynamic only
    std::optional<std::string> query_version;
    std::optional<std::int64_t> expected_version;
  };
  // UpdateThingGroup / UpdateDynamicThingGroup (dynamic_only). Faults: kNotFound, kVersionConflict,
  // kInvalidRequest, kInvalidQuery.
  core::Result<ThingGroupPtr> update_group(std::string_view name, const GroupUpdate& update, bool dynamic_only);
  // DeleteThingGroup / DeleteDynamicThingGroup: succeeds for a missing group. A group with child
  // groups cannot be deleted. Faults: kVersionConflict, kInvalidRequest (children, wrong kind).
  core::Result<void> delete_group(std::string_view name, std::optional<std::int64_t> expected_version, bool dynamic);
  std::vector<ThingGroupPtr> list_groups() const;  // sorted by name
  std::vector<ThingGroupPtr> children_of(std::string_view group, bool recursive) const;
  // Root first, ending with the group's parent.
  std::vector<ThingGroupPtr> ancestors_of(std::string_view group) const;

  // Add/RemoveThingToThingGroup (static groups). Faults: kNotFound, kInvalidRequest (dynamic group,
  // over kMaxStaticGroupsPerThing).
  core::Result<void> add_to_group(std::string_view group, std::string_view thing);
  core::Result<void> remove_from_group(std::string_view group, std::string_view thing);
  // UpdateThingGroupsForThing: all or nothing.
  core::Result<void> update_groups_for_thing(std::string_view thing, const std::vector<std::string>& add,
                                             const std::vector<std::string>& remove);

  // AttachThingPrincipal. Exclusive: the principal may be attached to this thing only. Faults:
  // kNotFound (thing, principal), kInvalidRequest (malformed principal, exclusivity conflict).
  core::Result<void> attach_principal(std::string_view thing, std::string_view principal, bool exclusive);
  // DetachThingPrincipal (idempotent for an unattached principal). Faults: kNotFound (thing).
  core::Result<void> detach_principal(std::string_view thing, std::string_view principal);
  std::vector<std::string> principals_of(std::string_view thing) const;            // sorted
  std::vector<std::string> things_of_principal(std::string_view principal) const;  // sorted

  // SearchIndex over things: names of matching things, sorted. Faults: kInvalidQuery.
  core::Result<std::vector<std::string>> search_things(std::string_view query_string) const;
  core::Result<std::vector<std::string>> search_groups(std::string_view query_string) const;
  // The thing's index document as SearchIndex returns it (thingName, thingId, ..., connectivity).
  boost::json::object thing_document(std::string_view thing_name) const;
  boost::json::object group_document(std::string_view group_name) const;

  // Get/UpdateIndexingConfiguration: stored and returned; the index is always on. Faults: kInvalidRequest.
  boost::json::object indexing_configuration() const;
  core::Result<void> set_indexing_configuration(const boost::json::object& config);

  const control::Partition& partition() const { return partition_; }

  // The control-plane operations (docs/identity.md); makes "thinggroup" and "thingtype" ARNs
  // taggable. `tags` must outlive the router.
  void add_operations(control::Router& router, control::Tags& tags);

 private:
  struct ThingState {
    ThingPtr thing;
    std::set<std::string> static_groups;
    std::set<std::string> dynamic_groups;
    std::map<std::string, bool> principals;  // principal ARN -> exclusive
  };
  struct DynamicQuery {
    fleet_index::Query query;
    std::vector<std::string> fields;
  };

  Registry(std::unique_ptr<store::Db> db, control::Partition partition, const core::Clock& clock);
  core::Result<void> load();
  void notify(const std::vector<Change>& changes);
  // REQUIRES: mu_ held (shared or exclusive).
  // with_dynamic: thingGroupNames also lists dynamic groups (SearchIndex); dynamic-group queries
  // see static groups only, so that no dynamic group depends on another's membership.
  void build_document(const std::string& name, const ThingState& t, bool with_dynamic,
                      fleet_index::Document& doc) const;
  // Re-evaluates the dynamic groups reading any of `changed` (exact fields, or prefixes ending in
  // '.'; empty = all) for one thing. REQUIRES: mu_ held exclusively.
  void reevaluate_thing(const std::string& name, ThingState& t, const std::vector<std::string>& changed,
                        std::vector<Change>& out);
  void reevaluate_group(const std::string& group, std::vector<Change>& out);  // REQUIRES: mu_ exclusive
  std::size_t depth_of(std::string_view group) const;          // REQUIRES: mu_ held
  core::Result<void> write_group_members(const std::string& thing, const std::set<std::string>& before,
                                         const std::set<std::string>& after);  // REQUIRES: write_mu_ held

  const control::Partition partition_;
  const core::Clock& clock_;

  std::mutex write_mu_;            // serialises writers; guards db_
  std::unique_ptr<store::Db> db_;  // guarded by write_mu_

  mutable std::shared_mutex mu_;  // guards everything below
  std::map<std::string, ThingState, std::less<>> things_;
  std::map<std::string, ThingTypePtr, std::less<>> types_;
  std::map<std::string, ThingGroupPtr, std::less<>> groups_;
  std::map<std::string, std::set<std::string>, std::less<>> members_;  // group -> things (static and dynamic)
  std::map<std::string, DynamicQuery, std::less<>> queries_;           // dynamic group -> compiled query
  std::unordered_map<std::string, std::map<std::string, bool>> principal_things_;  // principal -> thing -> exclusive
  std::unordered_map<std::string, Connectivity> connectivity_;                  // client id -> state
  std::unordered_map<std::string, std::map<std::string, boost::json::value>> extra_;  // thing -> prefix -> json
  boost::json::value indexing_config_;
  std::vector<std::function<void(const Change&)>> observers_;
  std::function<bool(std::string_view)> principal_query_;
};

}  // namespace tenet::registry
