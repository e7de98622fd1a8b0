#pragma once
// The cluster configuration: which nodes exist, where they listen, the shared secret, and the
// link parameters; plus the diff between two configurations that hot reload applies.
//
//   {"cluster": "demo", "secret": "s3cret", "codec": "json", "max_frame": 8388608,
//    "heartbeat_ms": 1000, "nodes": {"gate-1": "127.0.0.1:7101", "old": null}}
//
// "cluster", "secret" and "nodes" are required; the rest are optional. A node whose address
// is null is known but offline. Unknown keys are rejected (a misspelt "heartbeat" must not
// silently fall back to the default).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/outcome.hpp"
#include "framework/tls_options.hpp"
#include "rpc/codec.hpp"

namespace hearth::cluster {

/// A host (name, IPv4 or IPv6 literal, without brackets) and a TCP port (1..65535).
struct endpoint {
    std::string host;
    std::uint16_t port = 0;

    /// "host:port", or "[v6]:port" when the host contains ':'.
    std::string to_string() const;
    friend bool operator==(const endpoint&, const endpoint&) = default;
};

/// Parses "host:port" or "[v6]:port"; the failure message says what is wrong with `text`.
outcome<endpoint> parse_endpoint(std::string_view text);

/// Node names: 1..64 characters from [A-Za-z0-9_-]. No '@' (address separator) or '.'
/// (route separator), so "svc@node" and "svc.method" stay unambiguous.
bool valid_node_name(std::string_view name) noexcept;

inline constexpr std::size_t max_node_name = 64;
inline constexpr std::size_t default_max_frame = 8 * 1024 * 1024;
inline constexpr std::size_t min_max_frame = 4 * 1024;
inline constexpr std::size_t max_max_frame = 1024 * 1024 * 1024;
inline constexpr std::chrono::milliseconds default_heartbeat{1000};
inline constexpr std::chrono::milliseconds min_heartbeat{10};
inline constexpr std::chrono::milliseconds max_heartbeat{600'000};

/// A validated configuration. Obtain it from parse_config() / load_config(): those guarantee
/// every invariant listed on the members. Plain value; copy freely.
struct cluster_config {
    std::string cluster;                        ///< non-empty, at most 64 bytes
    std::string secret;                         ///< non-empty
    rpc::codec codec = rpc::codec::json;        ///< payload codec every node of the cluster uses
    std::size_t max_frame = default_max_frame;  ///< in [min_max_frame, max_max_frame]
    std::chrono::milliseconds heartbeat = default_heartbeat;  ///< in [min_heartbeat, max_heartbeat]
    /// Name → address (nullopt = known but offline). Names are valid_node_name(); no two online
    /// nodes share an address.
    std::map<std::string, std::optional<endpoint>, std::less<>> nodes;
    /// Cluster links over mutually authenticated TLS when enabled (JSON "tls": the shape of
    /// framework/tls_options.hpp, the CA key being "ca_file", which is required). In
    /// certificate_chain_file and private_key_file, "{node}" stands for each node's own name,
    /// so one file serves every node ("certs/{node}.pem"). Off by default.
    tls_options tls;

    bool contains(std::string_view node) const { return nodes.find(node) != nodes.end(); }
    /// The node's address; nullopt when the node is unknown or offline.
    std::optional<endpoint> address_of(std::string_view node) const;

    /// The configuration as JSON, with the secret replaced by "***" (for GET /cluster and logs).
    nlohmann::json to_public_json() const;

    friend bool operator==(const cluster_config&, const cluster_config&) = default;
};

/// Parses and validates a JSON document. Errors are errc::bad_config with a message naming the
/// key or node at fault; never throws.
outcome<cluster_config> parse_config(const nlohmann::json& doc);
/// Parses JSON text (syntax errors are bad_config with the parser's position).
outcome<cluster_config> parse_config(std::string_view json_text);
inline outcome<cluster_config> parse_config(const std::string& json_text) {
    return parse_config(std::string_view(json_text));
}
inline outcome<cluster_config> parse_config(const char* json_text) {
    return parse_config(std::string_view(json_text));
}
/// Reads and parses a file (an unreadable file is bad_config naming the path).
outcome<cluster_config> load_config(const std::string& path);

/// What changed between two configurations, as hot reload applies it.
struct config_diff {
    struct node_entry {
        std::string name;
        std::optional<endpoint> address;
        friend bool operator==(const node_entry&, const node_entry&) = default;
    };
    /// An address change, including going offline (to == nullopt) or coming online
    /// (from == nullopt).
    struct node_change {
        std::string name;
        std::optional<endpoint> from;
        std::optional<endpoint> to;
        friend bool operator==(const node_change&, const node_change&) = default;
    };

    std::vector<node_entry> added;      ///< sorted by name
    std::vector<node_entry> removed;    ///< sorted by name
    std::vector<node_change> changed;   ///< sorted by name
    std::vector<node_entry> unchanged;  ///< sorted by name
    bool cluster_changed = false;
    bool secret_changed = false;
    bool codec_changed = false;
    bool max_frame_changed = false;
    bool heartbeat_changed = false;
    /// The "tls" block changed. Links already up keep the TLS state they were made with; new
    /// links use the new one (the files are re-read on every applied reload anyway).
    bool tls_changed = false;

    /// True when applying the diff would change nothing at all.
    bool empty() const noexcept;
    /// True when existing links must be re-established (cluster, secret or codec changed:
    /// the handshake of every link depends on them).
    bool relink_all() const noexcept { return cluster_changed || secret_changed || codec_changed; }
    /// A report for the admin endpoint: {"added":[..],"removed":[..],"changed":[{"node":..,
    /// "from":..,"to":..}],"unchanged":[..],"cluster_changed":..,...}. The secret never appears.
    nlohmann::json to_json() const;
};

/// The diff that turns `from` into `to`.
config_diff diff(const cluster_config& from, const cluster_config& to);

}  // namespace hearth::cluster
