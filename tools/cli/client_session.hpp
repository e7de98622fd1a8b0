#pragma once
// hearth-cli connect: a Pomelo-protocol game client (client-protocol.md) driven from a prompt,
// a script file, or standard input, built on Hearth's own codecs (session/packet.hpp,
// message.hpp, handshake.hpp, compression.hpp, route_dictionary.hpp).

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace hearth::tools {

struct connect_options {
    std::string url;                                 ///< tcp://HOST:PORT or ws://HOST:PORT/PATH
    nlohmann::json user = nlohmann::json::object();  ///< the handshake's "user" value
    std::string script;                              ///< a file of commands; empty: standard input
    std::chrono::milliseconds timeout{10000};        ///< connect, handshake, each request, wait-* default
    bool json_lines = false;                         ///< JSON lines even at a terminal
    /// Resume a parked session (docs/resume.md): the token a "resume" event printed, and the
    /// Response and Push packets received on that session so far (its "received"). Empty: a
    /// new session.
    std::string resume_token;
    std::uint64_t received = 0;
};

/// Connects, handshakes, then runs commands (tools/cli/command.hpp) until the input ends, `quit`,
/// or the connection ends. Interactive (a prompt, readable output, requests answered
/// asynchronously) when no script is given and standard input is a terminal; otherwise every
/// request waits for its response and one JSON line is printed per event
/// (tools/cli/event_printer.hpp). Returns an exit status (tools/cli/exit_status.hpp); errors
/// are reported on standard error. Runs on the calling thread.
int run_connect(const connect_options& options);

}  // namespace hearth::tools
