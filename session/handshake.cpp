#include "session/handshake.hpp"

namespace hearth::session {

bool json_nesting_within(std::string_view text, std::size_t limit) noexcept {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return false;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return true;
}
namespace {

std::string dump(const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::error_code parse_handshake(std::string_view body, handshake_request& out) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        out = handshake_request{};
        return {};
    }
    if (!json_nesting_within(body, max_handshake_depth)) return errc::bad_handshake;
    auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return errc::bad_handshake;

    handshake_request r;
    if (auto it = j.find("sys"); it != j.end() && !it->is_null()) {
        if (!it->is_object()) return errc::bad_handshake;
        if (auto t = it->find("type"); t != it->end() && t->is_string()) r.type = t->get<std::string>();
        if (auto v = it->find("version"); v != it->end() && v->is_string()) r.version = v->get<std::string>();
        r.sys = std::move(*it);
    }
    if (auto it = j.find("user"); it != j.end()) r.user = std::move(*it);
    out = std::move(r);
    return {};
}

namespace {

// Seconds as the contract sends them: an integer when whole, fractional otherwise.
nlohmann::ordered_json seconds(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) return d.count() / 1000;
    return static_cast<double>(d.count()) / 1000.0;
}

}  // namespace

std::string handshake_reply(std::chrono::milliseconds heartbeat, std::int64_t servertime_unix_s,
                            const route_dictionary* dict, const resume_grant* resume) {
    nlohmann::ordered_json sys = nlohmann::ordered_json::object();
    // Clients multiply by 1000 and use it as a timer: whole seconds go out as an integer so
    // that the common case is byte-identical to Nano's and Pomelo's replies.
    sys["heartbeat"] = seconds(heartbeat);
    sys["servertime"] = servertime_unix_s;
    if (dict && !dict->empty()) {
        // Sorted by code, so that the reply is deterministic.
        nlohmann::ordered_json d = nlohmann::ordered_json::object();
        dict->for_each([&](std::uint16_t code, std::string_view route) { d[std::string(route)] = code; });
        sys["dict"] = std::move(d);
    }
    if (resume) {
        nlohmann::ordered_json r = nlohmann::ordered_json::object();
        r["token"] = resume->token;
        r["grace"] = seconds(resume->grace);
        r["resumed"] = resume->resumed;
        sys["resume"] = std::move(r);
    }
    nlohmann::ordered_json reply = nlohmann::ordered_json::object();
    reply["code"] = 200;
    reply["sys"] = std::move(sys);
    return dump(reply);
}

std::string handshake_reply(std::chrono::milliseconds heartbeat, const route_dictionary* dict,
                            const resume_grant* resume) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    return handshake_reply(heartbeat, now.count(), dict, resume);
}

std::string handshake_failure(int code, std::string_view message) {
    nlohmann::ordered_json reply = nlohmann::ordered_json::object();
    reply["code"] = code;
    reply["message"] = std::string(message);
    return dump(reply);
}

}  // namespace hearth::session
