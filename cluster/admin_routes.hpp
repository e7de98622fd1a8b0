#pragma once
// The cluster module's admin routes: the membership table and hot reload.
//
//   GET  /cluster                 -> this node, the running configuration (secret hidden), and
//                                    every known node: address, membership state, since when
//                                    (this process's view), link stats of its sender.
//   POST /cluster/reload[?dry_run=1]
//        body: a full cluster configuration (JSON), or empty to re-read `config_path`
//        -> 200 {"applied": true|false, "dry_run": ..., "added": [...], "removed": [...],
//                "changed": [...], "unchanged": [...], ..., "reload_count": N}
//        -> 400 {"error": "..."} naming what is wrong; the running configuration stays.
//
// Reload is cluster::reload(): validated, atomic, serialized with other reloads, idempotent
// (the same configuration twice gives an empty diff the second time and changes nothing).
// A configuration file re-read by an empty POST may be a cluster configuration, or an object
// whose member "cluster" is one (so one file can hold a whole node's settings).
//
// The routes hold a weak reference to the cluster: once it is gone they answer 503.

#include <optional>
#include <string>

#include "cluster/cluster.hpp"
#include "framework/admin.hpp"

namespace hearth::cluster {

/// Adds GET /cluster and POST /cluster/reload to `admin`. `config_path` is the file an empty
/// reload body re-reads (nullopt: an empty body is a 400). Call once per server, after
/// cluster::create() (the cluster must be owned by a shared_ptr).
void register_admin_routes(admin_server& admin, cluster& c,
                           std::optional<std::string> config_path = std::nullopt);

/// Reads a cluster configuration from `path`: the whole file, or its "cluster" member when that
/// is an object. Errors are bad_config naming the path.
outcome<cluster_config> load_config_member(const std::string& path);

}  // namespace hearth::cluster
