#include "session/gate_options.hpp"

#include <limits>
#include <optional>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "session/detail/ip_network.hpp"

namespace hearth::session {

namespace {

using rpc::failure;
using rpc::outcome;

// The longest timer an option may set: one day. Timers are added to steady_clock::now(), and
// converting a larger double (1e300) to an integer is undefined behaviour.
constexpr double max_option_ms = 86'400'000;

failure invalid(std::string sentence) {
    return failure{std::make_error_code(std::errc::invalid_argument), std::move(sentence)};
}

outcome<std::chrono::milliseconds> positive_ms(const nlohmann::json& v, const char* key) {
    // At least 1 ms after truncation: 0.5 must not become a 0 ms heartbeat (a busy loop).
    if (!v.is_number() || !(v.get<double>() >= 1) || v.get<double>() > max_option_ms)
        return invalid(std::string("gate option '") + key +
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

outcome<std::size_t> positive_size(const nlohmann::json& v, const char* key) {
    const auto n = integer(v);
    if (!n || *n <= 0) return invalid(std::string("gate option '") + key + "' must be a positive integer.");
    return static_cast<std::size_t>(*n);
}

outcome<int> port(const nlohmann::json& v, const char* key) {
    const auto n = integer(v);
    if (!n || *n < -1 || *n > 65535)
        return invalid(std::string("gate option '") + key + "' must be a port (0..65535, or -1 to disable).");
    return static_cast<int>(*n);
}

outcome<std::string> text(const nlohmann::json& v, const char* key) {
    if (!v.is_string()) return invalid(std::string("gate option '") + key + "' must be a string.");
    return v.get<std::string>();
}

// Stores the value of `r` in `field`, or its failure in `error`.
template <class T, class U>
void set(T& field, outcome<U>&& r, std::optional<failure>& error) {
    if (r)
        field = std::move(*r);
    else
        error = std::move(r).error();
}

// The "resume" block (resume_options); a failure names the key.
std::optional<failure> read_resume(resume_options& r, const nlohmann::json& v) {
    if (!v.is_object()) return invalid("gate option 'resume' must be an object.");
    std::optional<failure> error;
    for (const auto& [key, e] : v.items()) {
        const std::string name = "resume." + key;
        const char* k = name.c_str();
        if (key == "enabled") {
            if (!e.is_boolean()) return invalid("gate option 'resume.enabled' must be true or false.");
            r.enabled = e.get<bool>();
        } else if (key == "grace_ms")
            set(r.grace, positive_ms(e, k), error);
        else if (key == "buffer_bytes")
            set(r.buffer_bytes, positive_size(e, k), error);
        else if (key == "buffer_packets")
            set(r.buffer_packets, positive_size(e, k), error);
        else if (key == "max_parked_sessions")
            set(r.max_parked_sessions, positive_size(e, k), error);
        else
            error = invalid("Unknown gate option 'resume." + key + "'.");
        if (error) return error;
    }
    return error;
}

// One key of the JSON form into `o`; a failure names the key.
std::optional<failure> read_key(gate_options& o, const std::string& key, const nlohmann::json& v) {
    std::optional<failure> error;
    const char* k = key.c_str();
    if (key == "host")
        set(o.host, text(v, k), error);
    else if (key == "tcp_port")
        set(o.tcp_port, port(v, k), error);
    else if (key == "ws_port")
        set(o.ws_port, port(v, k), error);
    else if (key == "tls_port")
        set(o.tls_port, port(v, k), error);
    else if (key == "wss_port")
        set(o.wss_port, port(v, k), error);
    else if (key == "tls")
        set(o.tls, tls_options::from_json(v, "gate option 'tls'", "client_ca_file"), error);
    else if (key == "ws_path") {
        set(o.ws_path, text(v, k), error);
        if (!error && (o.ws_path.empty() || o.ws_path.front() != '/'))
            error = invalid("gate option 'ws_path' must start with '/'.");
    } else if (key == "ws_path_only") {
        if (!v.is_boolean()) return invalid("gate option 'ws_path_only' must be true or false.");
        o.ws_path_only = v.get<bool>();
    } else if (key == "static_dir")
        set(o.static_dir, text(v, k), error);
    else if (key == "heartbeat_ms")
        set(o.heartbeat, positive_ms(v, k), error);
    else if (key == "handshake_timeout_ms")
        set(o.handshake_timeout, positive_ms(v, k), error);
    else if (key == "kick_flush_timeout_ms")
        set(o.kick_flush_timeout, positive_ms(v, k), error);
    else if (key == "request_timeout_ms")
        set(o.request_timeout, positive_ms(v, k), error);
    else if (key == "max_packet_body") {
        set(o.max_packet_body, positive_size(v, k), error);
        if (!error && o.max_packet_body > (std::size_t{1} << 24) - 1)
            error = invalid("gate option 'max_packet_body' must be at most 16777215.");
    } else if (key == "max_connections")
        set(o.max_connections, positive_size(v, k), error);
    else if (key == "max_queued_bytes")
        set(o.max_queued_bytes, positive_size(v, k), error);
    else if (key == "max_queued_packets")
        set(o.max_queued_packets, positive_size(v, k), error);
    else if (key == "rate_limit" || key == "rate_burst") {
        if (!v.is_number() || v.get<double>() < 0)
            return invalid("gate option '" + key + "' must be a number >= 0.");
        (key == "rate_limit" ? o.rate_limit : o.rate_burst) = v.get<double>();
    } else if (key == "max_connections_per_address") {
        const auto n = integer(v);
        if (!n || *n < 0)
            return invalid(
                "gate option 'max_connections_per_address' must be an integer >= 0 (0 = no limit).");
        o.max_connections_per_address = static_cast<std::size_t>(*n);
    } else if (key == "connection_rate_per_address") {
        if (!v.is_number() || !(v.get<double>() >= 0))
            return invalid("gate option 'connection_rate_per_address' must be a number >= 0 (0 = no limit).");
        o.connection_rate_per_address = v.get<double>();
    } else if (key == "connection_burst_per_address") {
        if (!v.is_number() || !(v.get<double>() == 0 || v.get<double>() >= 1))
            return invalid(
                "gate option 'connection_burst_per_address' must be 0 (= max(1, rate)) or a number >= 1.");
        o.connection_burst_per_address = v.get<double>();
    } else if (key == "trusted_networks") {
        if (!v.is_array()) return invalid("gate option 'trusted_networks' must be an array of CIDR strings.");
        std::vector<std::string> nets;
        for (const auto& e : v) {
            if (!e.is_string())
                return invalid("gate option 'trusted_networks' must be an array of CIDR strings.");
            if (!detail::ip_network::parse(e.get<std::string>()))
                return invalid("gate option 'trusted_networks': '" + e.get<std::string>() +
                               "' is not a network (CIDR such as \"10.0.0.0/8\" or \"::1/128\").");
            nets.push_back(e.get<std::string>());
        }
        o.trusted_networks = std::move(nets);
    } else if (key == "exempt_loopback") {
        if (!v.is_boolean()) return invalid("gate option 'exempt_loopback' must be true or false.");
        o.exempt_loopback = v.get<bool>();
    } else if (key == "duplicate_login") {
        auto p = text(v, k);
        if (!p) return std::move(p).error();
        if (*p == "kick_old")
            o.duplicate_login = duplicate_login_policy::kick_old;
        else if (*p == "reject_new")
            o.duplicate_login = duplicate_login_policy::reject_new;
        else
            error = invalid("gate option 'duplicate_login' is \"kick_old\" or \"reject_new\".");
    } else if (key == "resume") {
        error = read_resume(o.resume, v);
    } else if (key == "dict") {
        auto d = std::make_shared<route_dictionary>();
        if (d->assign(v)) return invalid("gate option 'dict' must map routes to distinct codes 0..65535.");
        o.dictionary = std::move(d);
    } else {
        error = invalid("Unknown gate option '" + key + "'.");
    }
    return error;
}

}  // namespace

rpc::outcome<gate_options> gate_options::from_json(const nlohmann::json& j) {
    if (!j.is_object()) return invalid("The gate options must be a JSON object.");
    gate_options o;
    for (const auto& [key, v] : j.items())
        if (auto error = read_key(o, key, v)) return std::move(*error);
    if ((o.tls_port >= 0 || o.wss_port >= 0) && !o.tls.enabled())
        return invalid(
            "gate options 'tls_port' and 'wss_port' need a 'tls' block with the certificate and key.");
    return o;
}

}  // namespace hearth::session
