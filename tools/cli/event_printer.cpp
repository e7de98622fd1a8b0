#include "tools/cli/event_printer.hpp"

#include "session/handshake.hpp"

namespace hearth::tools {
namespace {

constexpr std::size_t max_payload_depth = 64;

template <class Json>
std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write_line(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

}  // namespace

nlohmann::json payload_json(std::string_view payload) {
    if (session::json_nesting_within(payload, max_payload_depth)) {
        auto j = nlohmann::json::parse(payload, nullptr, false);
        if (!j.is_discarded()) return j;
    }
    return std::string(payload);
}

void event_printer::emit(const nlohmann::ordered_json& event, const std::string& text) {
    if (json_) {
        write_line(dump(event));
        return;
    }
    if (prompt_shown_) std::fputs("\r\x1b[K", stdout);  // overwrite the prompt, then show it again
    write_line(text);
    if (prompt_shown_) {
        std::fputs(prompt_.c_str(), stdout);
        std::fflush(stdout);
    }
}

void event_printer::connected(std::string_view url, double heartbeat_seconds, const nlohmann::json& dict) {
    nlohmann::ordered_json e = {
        {"type", "connected"}, {"url", url}, {"heartbeat", heartbeat_seconds}, {"dict", dict}};
    std::string text = "connected to " + std::string(url) + " (heartbeat ";
    text += heartbeat_seconds > 0 ? dump(nlohmann::json(heartbeat_seconds)) + " s" : "off";
    text += dict.empty() ? ", no route dictionary)"
                         : ", " + std::to_string(dict.size()) + " routes in the dictionary)";
    emit(e, text);
}

void event_printer::resume(std::string_view token, double grace_seconds, bool resumed,
                           std::uint64_t received) {
    nlohmann::ordered_json e = {{"type", "resume"},
                                {"token", token},
                                {"grace", grace_seconds},
                                {"resumed", resumed},
                                {"received", received}};
    emit(e, std::string(resumed ? "session resumed" : "resumable session") + " (grace " +
                dump(nlohmann::json(grace_seconds)) + " s): --resume " + std::string(token) + " --received " +
                std::to_string(received));
}

void event_printer::response(std::string_view route, std::uint64_t id, bool ok, std::string_view payload) {
    auto body = payload_json(payload);
    nlohmann::ordered_json e = {
        {"type", "response"}, {"route", nullptr}, {"id", id}, {"ok", ok}, {"body", body}};
    if (!route.empty()) e["route"] = route;
    emit(e, "<- response " + (route.empty() ? std::string("(unknown request)") : std::string(route)) + " #" +
                std::to_string(id) + (ok ? " ok " : " error ") + dump(body));
}

void event_printer::push(std::string_view route, std::string_view payload) {
    auto body = payload_json(payload);
    nlohmann::ordered_json e = {{"type", "push"}, {"route", route}, {"body", body}};
    emit(e, "<- push " + std::string(route) + " " + dump(body));
}

void event_printer::kick(std::string_view reason) {
    nlohmann::ordered_json e = {{"type", "kick"}, {"reason", reason}};
    emit(e, "<- kick: " + std::string(reason));
}

void event_printer::closed(std::string_view reason) {
    nlohmann::ordered_json e = {{"type", "closed"}, {"reason", reason}};
    emit(e, "connection closed" + (reason.empty() ? std::string() : ": " + std::string(reason)));
}

void event_printer::note(std::string_view text) {
    std::string line(text);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    if (json_) {  // stdout carries events only
        std::fprintf(stderr, "hearth-cli: %s\n", line.c_str());
        return;
    }
    emit(nullptr, line);
}

void event_printer::prompt() {
    if (json_ || prompt_.empty()) return;
    std::fputs(prompt_.c_str(), stdout);
    std::fflush(stdout);
    prompt_shown_ = true;
}

}  // namespace hearth::tools
