#pragma once
// What hearth-cli connect prints for each thing the server sends: one JSON line per event for
// scripts (--json, --script, or standard input not a terminal), readable lines at the prompt.
//
// JSON lines (the keys are a contract; scripts and tests parse them):
//   {"type":"connected","url":"tcp://127.0.0.1:3250","heartbeat":30,"dict":{"room.join":1,...}}
//   {"type":"response","route":"room.join","id":1,"ok":true,"body":{...}}
//   {"type":"push","route":"onMembers","body":{...}}
//   {"type":"kick","reason":"kicked by an administrator"}
//   {"type":"closed","reason":"..."}
// A body that is not JSON is printed as a JSON string. Errors go to standard error.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hearth::tools {

/// The body of a message as JSON: the parsed payload, or the payload as a string when it is not
/// JSON or nests deeper than 64 levels (a server's bytes must not exhaust the stack).
/// Invalid UTF-8 in a string is replaced when printed.
nlohmann::json payload_json(std::string_view payload);

/// Writes events to stdout (flushed per line). Not thread-safe: one per connection.
class event_printer {
  public:
    /// json_lines: the script format; otherwise readable text, and `prompt` is reprinted after
    /// every asynchronous event (interactive mode; empty for none).
    event_printer(bool json_lines, std::string prompt) : json_(json_lines), prompt_(std::move(prompt)) {}

    bool json_lines() const noexcept { return json_; }

    /// heartbeat_seconds 0 means the server asked for no heartbeats.
    void connected(std::string_view url, double heartbeat_seconds, const nlohmann::json& dict);
    /// route is empty when the id matches no request sent (printed as null).
    void response(std::string_view route, std::uint64_t id, bool ok, std::string_view payload);
    void push(std::string_view route, std::string_view payload);
    void kick(std::string_view reason);
    /// The gate's resume grant (docs/resume.md) after the handshake, and again when the
    /// connection ends: what --resume and --received need to get this session back.
    void resume(std::string_view token, double grace_seconds, bool resumed, std::uint64_t received);
    void closed(std::string_view reason);
    /// A readable line for the prompt (help, a local error); on stderr in JSON-lines mode.
    void note(std::string_view text);
    /// Prints the prompt (interactive mode only).
    void prompt();
    /// The user ended a line: the prompt is no longer on screen.
    void prompt_taken() noexcept { prompt_shown_ = false; }

  private:
    void emit(const nlohmann::ordered_json& event, const std::string& text);

    bool json_;
    std::string prompt_;
    bool prompt_shown_ = false;
};

}  // namespace hearth::tools
