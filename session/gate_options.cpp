#include "session/gate_options.hpp"

#include <limits>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace hearth::session {

namespace {

// The longest timer an option may set: one day. Timers are added to steady_clock::now(), and
// converting a larger double (1e300) to an integer is undefined behaviour.
constexpr double max_option_ms = 86'400'000;

std::chrono::milliseconds positive_ms(const nlohmann::json& v, const char* key) {
    // At least 1 ms after truncation: 0.5 must not become a 0 ms heartbeat (a busy loop).
    if (!v.is_number() || !(v.get<double>() >= 1) || v.get<double>() > max_option_ms)
        throw std::invalid_argument(std::string("gate option '") + key +
                                    "' must be a number of milliseconds in 1..86400000.");
    return std::chrono::milliseconds(static_cast<long long>(v.get<double>()));
}

// JSON integers arrive as unsigned (parsed text) or signed (values built in code): both count.
std::optional<std::int64_t> integer(const nlohmann::json& v) {
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
        return static_cast<std::int64_t>(u);
    }
    if (v.is_number_integer()) return v.get<std::int64_t>();
    return std::nullopt;
}

std::size_t positive_size(const nlohmann::json& v, const char* key) {
    const auto n = integer(v);
    if (!n || *n <= 0)
        throw std::invalid_argument(std::string("gate option '") + key + "' must be a positive integer.");
    return static_cast<std::size_t>(*n);
}

int port(const nlohmann::json& v, const char* key) {
    const auto n = integer(v);
    if (!n || *n < -1 || *n > 65535)
        throw std::invalid_argument(std::string("gate option '") + key +
                                    "' must be a port (0..65535, or -1 to disable).");
    return static_cast<int>(*n);
}

std::string text(const nlohmann::json& v, const char* key) {
    if (!v.is_string())
        throw std::invalid_argument(std::string("gate option '") + key + "' must be a string.");
    return v.get<std::string>();
}

}  // namespace

gate_options gate_options::from_json(const nlohmann::json& j) {
    if (!j.is_object()) throw std::invalid_argument("The gate options must be a JSON object.");
    gate_options o;
    for (const auto& [key, v] : j.items()) {
        const char* k = key.c_str();
        if (key == "host")
            o.host = text(v, k);
        else if (key == "tcp_port")
            o.tcp_port = port(v, k);
        else if (key == "ws_port")
            o.ws_port = port(v, k);
        else if (key == "ws_path") {
            o.ws_path = text(v, k);
            if (o.ws_path.empty() || o.ws_path.front() != '/')
                throw std::invalid_argument("gate option 'ws_path' must start with '/'.");
        } else if (key == "ws_path_only") {
            if (!v.is_boolean())
                throw std::invalid_argument("gate option 'ws_path_only' must be true or false.");
            o.ws_path_only = v.get<bool>();
        } else if (key == "static_dir")
            o.static_dir = text(v, k);
        else if (key == "heartbeat_ms")
            o.heartbeat = positive_ms(v, k);
        else if (key == "handshake_timeout_ms")
            o.handshake_timeout = positive_ms(v, k);
        else if (key == "kick_flush_timeout_ms")
            o.kick_flush_timeout = positive_ms(v, k);
        else if (key == "request_timeout_ms")
            o.request_timeout = positive_ms(v, k);
        else if (key == "max_packet_body") {
            o.max_packet_body = positive_size(v, k);
            if (o.max_packet_body > (std::size_t{1} << 24) - 1)
                throw std::invalid_argument("gate option 'max_packet_body' must be at most 16777215.");
        } else if (key == "max_connections")
            o.max_connections = positive_size(v, k);
        else if (key == "max_queued_bytes")
            o.max_queued_bytes = positive_size(v, k);
        else if (key == "max_queued_packets")
            o.max_queued_packets = positive_size(v, k);
        else if (key == "rate_limit" || key == "rate_burst") {
            if (!v.is_number() || v.get<double>() < 0)
                throw std::invalid_argument("gate option '" + key + "' must be a number >= 0.");
            (key == "rate_limit" ? o.rate_limit : o.rate_burst) = v.get<double>();
        } else if (key == "duplicate_login") {
            auto p = text(v, k);
            if (p == "kick_old")
                o.duplicate_login = duplicate_login_policy::kick_old;
            else if (p == "reject_new")
                o.duplicate_login = duplicate_login_policy::reject_new;
            else
                throw std::invalid_argument(
                    "gate option 'duplicate_login' is \"kick_old\" or \"reject_new\".");
        } else if (key == "dict") {
            auto d = std::make_shared<route_dictionary>();
            if (d->assign(v))
                throw std::invalid_argument("gate option 'dict' must map routes to distinct codes 0..65535.");
            o.dictionary = std::move(d);
        } else {
            throw std::invalid_argument("Unknown gate option '" + key + "'.");
        }
    }
    return o;
}

}  // namespace hearth::session
