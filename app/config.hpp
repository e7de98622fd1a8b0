#pragma once
// hearth::app::config: one JSON file that describes a whole backend, parsed and checked.
//
//   {
//     "node":    {"name": "chat", "threads": 2, "log_level": "info",    // one node, or defaults
//                 "spin_us": 50},                                       // node_config::spin
//     "gate":    {...session::gate_options JSON...},                    // the single node's gate
//     "services": ["room"],                                             // the single node's services
//     "admin":   {"address": "127.0.0.1", "port": 0, "token": "...", "open_reads": false},
//     "cluster": {...cluster configuration...} | "cluster.json",        // inline, or a file
//     "nodes":   {"gate-1": {"admin_port": 9101, "threads": 2, "log_level": "info",
//                            "gate": {...}, "services": ["room"]}, ...},
//     "start":   ["gate-1", "game-1"]                                   // what the launcher starts
//   }
//
// Two forms. Without "nodes" the file describes one node (named by "node.name", default
// "node") whose gate is "gate" and whose services are "services" (default: every service the
// program registered). With "nodes" each entry is a node; "node" then only gives defaults
// (threads, log_level), a node runs the services its "services" lists, and a configuration
// with several nodes needs a "cluster". An "admin" section, an "admin_port" or --admin-port
// gives a node an admin endpoint. Unknown keys are errors everywhere (a misspelt key must not
// fall back to a default silently).
//
// parse_config() never stops at the first problem: it returns every problem it finds, each a
// sentence naming the key at fault ('nodes.game-1.services[0]' ...), for --check-config, as
// the error of a config_result (the configuration is returned only when it has none).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/config.hpp"
#include "framework/tls_options.hpp"
#include "rpc/basic_result.hpp"

namespace hearth::app {

/// The admin endpoint's settings (framework/admin.hpp's admin_config, without its tuning).
struct admin_settings {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  ///< 0: any free port
    std::string token;       ///< empty: mutating routes are refused
    bool open_reads = false;
    tls_options tls;  ///< HTTPS when enabled ("tls" block, same shape as the gate's)
};

/// One node as it will run.
struct node_plan {
    std::string name;
    unsigned threads = 0;                 ///< 0: one per core
    std::optional<unsigned> spin_us;      ///< node_config::spin; nullopt: the framework's default
    std::string log_level = "info";       ///< spdlog level name
    std::optional<nlohmann::json> gate;   ///< validated gate_options JSON; nullopt: no gate
    std::vector<std::string> services;    ///< configured service names, in file order
    std::optional<admin_settings> admin;  ///< nullopt: no admin endpoint
};

/// A checked configuration.
struct app_config {
    std::string path;    ///< the file it was read from; empty for a program's built-in default
    bool single = true;  ///< no "nodes" map: the file describes one node
    std::map<std::string, node_plan> nodes;  ///< by name
    std::vector<std::string> start;          ///< the nodes the launcher starts, in order
    std::optional<cluster::cluster_config> cluster;
    /// The file an empty POST /cluster/reload re-reads (--cluster FILE, the "cluster" file, or
    /// the configuration file itself); nullopt for a built-in configuration with inline cluster.
    std::optional<std::string> cluster_file;

    /// The effective configuration as JSON, the admin token and the cluster secret replaced
    /// by "***" (for --print-config and logs).
    nlohmann::json to_public_json() const;
};

/// Command-line values that take precedence over the file.
struct overrides {
    std::optional<std::string> node;          ///< --node NAME: must name a node of the file
    std::optional<std::string> cluster_file;  ///< --cluster FILE
    std::optional<std::uint16_t> admin_port;  ///< --admin-port N (the run node's)
    std::optional<std::string> log_level;     ///< --log-level L (every node)
};

/// Why a configuration cannot be used: every problem found, one full sentence each, in the
/// order found. Never empty.
struct config_problems {
    std::vector<std::string> sentences;
};

/// value() of a refused configuration throws bad_result_access (a std::system_error with
/// std::errc::invalid_argument) whose what() lists the problems.
[[noreturn]] void throw_exception_from_error(const config_problems& p);

/// A checked configuration, or every problem found in it (rpc/basic_result.hpp's contract).
using config_result = rpc::basic_result<app_config, config_problems>;

/// Checks `doc` (read from `path`, empty for a built-in text; relative file names in it are
/// relative to the file's folder). `registered` lists the service names the program knows;
/// `everywhere` the ones it runs on every node whatever the file says.
config_result parse_config(const nlohmann::json& doc, const std::string& path, const overrides& flags,
                           const std::vector<std::string>& registered,
                           const std::vector<std::string>& everywhere = {});

/// Reads `path` (or parses `builtin` when `path` is empty) and calls parse_config(). An
/// unreadable file or invalid JSON is one problem naming the file.
config_result load_config(const std::string& path, const std::string& builtin, const overrides& flags,
                          const std::vector<std::string>& registered,
                          const std::vector<std::string>& everywhere = {});

/// True for the level names node_config::log_level accepts.
bool valid_log_level(std::string_view level) noexcept;

}  // namespace hearth::app
