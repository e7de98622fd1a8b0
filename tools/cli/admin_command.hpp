#pragma once
// hearth-cli admin URL COMMAND: the admin endpoint's routes (docs/admin.md) as commands with
// readable output, or the endpoint's own JSON with --json.
//
//   cluster                    GET  /cluster
//   reload [FILE] [--dry-run]  POST /cluster/reload[?dry_run=1]  (FILE's content; none: re-read)
//   sessions                   GET  /sessions?offset=&limit=
//   kick ID [REASON]           POST /sessions/ID/kick {"reason":...}
//   metrics                    GET  /metrics (Prometheus text, printed as is)
//   log-level LEVEL            PUT  /log-level {"level":...}
//   shutdown                   POST /shutdown
//   health | node | services   GET  /health, /node, /services

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/cli/http_client.hpp"

namespace hearth::tools {

struct admin_options {
    std::string url;    ///< http://HOST:PORT of the node's admin endpoint
    std::string token;  ///< --token, else $HEARTH_ADMIN_TOKEN; empty: no Authorization header
    std::string
        command;  ///< cluster, reload, sessions, kick, metrics, log-level, shutdown, health, node, services
    std::string argument;               ///< reload: FILE; kick: ID; log-level: LEVEL
    std::optional<std::string> reason;  ///< kick
    bool dry_run = false;               ///< reload
    unsigned offset = 0;                ///< sessions
    unsigned limit = 100;               ///< sessions
    bool json = false;                  ///< print the answer's body as received
    std::chrono::milliseconds timeout{10000};
};

/// The request a command sends, or nullopt and a sentence in `error` (an unknown command, an
/// unreadable FILE, a session id that is not a decimal number). Reads FILE for reload.
std::optional<http_request> make_admin_request(const admin_options& options, std::string& error);

/// The readable rendering of a 2xx answer's JSON body for `command` (tests call it directly).
/// Throws nlohmann::json::exception when the body lacks what the route documents.
std::string render_admin_answer(const std::string& command, const nlohmann::json& body);

/// Runs one command: prints the answer on stdout (readable, or the body as is with --json) and
/// returns 0; on a non-2xx answer prints "hearth-cli: METHOD TARGET: STATUS REASON: error" on
/// stderr and returns 1; 1 as well when the endpoint cannot be reached; 2 for a usage error.
int run_admin(const admin_options& options);

}  // namespace hearth::tools
