#include "cluster/config.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace hearth::cluster {
namespace {

failure bad(std::string message) {
    return failure{errc::bad_config, "Invalid cluster configuration: " + message};
}

bool host_char(char c) noexcept {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool v6_char(char c) noexcept {
    return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A JSON integer >= 0, whether nlohmann stored it as unsigned (parsed text) or as signed (a
// value built in code, such as to_public_json()'s "heartbeat_ms"); nullopt for anything else.
std::optional<std::uint64_t> non_negative_integer(const nlohmann::json& v) {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer() && v.get<std::int64_t>() >= 0)
        return static_cast<std::uint64_t>(v.get<std::int64_t>());
    return std::nullopt;
}

std::string in_quotes(std::string_view s) {
    std::string out = "'";
    out.append(s.substr(0, 80));
    if (s.size() > 80) out += "...";
    out += "'";
    return out;
}

}  // namespace

std::string endpoint::to_string() const {
    std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    out += ':';
    out += std::to_string(port);
    return out;
}

outcome<endpoint> parse_endpoint(std::string_view text) {
    const auto fail = [&](std::string_view why) {
        return failure{errc::bad_config, "address " + in_quotes(text) + " " + std::string(why)};
    };
    endpoint ep;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return fail("has an unclosed '['.");
        const auto host = text.substr(1, close - 1);
        if (host.empty() || !std::all_of(host.begin(), host.end(), v6_char))
            return fail("does not hold an IPv6 literal between '[' and ']'.");
        if (close + 1 >= text.size() || text[close + 1] != ':')
            return fail("is not of the form [host]:port.");
        ep.host = std::string(host);
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return fail("is not of the form host:port.");
        const auto host = text.substr(0, colon);
        if (host.empty()) return fail("has an empty host.");
        if (host.find(':') != std::string_view::npos)
            return fail("must put an IPv6 host in brackets: [host]:port.");
        if (host.size() > 253 || !std::all_of(host.begin(), host.end(), host_char))
            return fail("has an invalid host name.");
        ep.host = std::string(host);
        port_text = text.substr(colon + 1);
    }
    if (port_text.empty()) return fail("has no port.");
    if (port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return fail("has a port that is not a number in 1..65535.");
    unsigned port = 0;
    for (char c : port_text) port = port * 10 + static_cast<unsigned>(c - '0');
    if (port == 0 || port > 65535) return fail("has a port out of range (1..65535).");
    ep.port = static_cast<std::uint16_t>(port);
    return ep;
}

bool valid_node_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > max_node_name) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
}

std::optional<endpoint> cluster_config::address_of(std::string_view node) const {
    const auto it = nodes.find(node);
    if (it == nodes.end()) return std::nullopt;
    return it->second;
}

nlohmann::json cluster_config::to_public_json() const {
    nlohmann::json doc;
    doc["cluster"] = cluster;
    doc["secret"] = "***";
    doc["codec"] = std::string(rpc::to_string(codec));
    doc["max_frame"] = max_frame;
    doc["heartbeat_ms"] = heartbeat.count();
    auto& n = doc["nodes"] = nlohmann::json::object();
    for (const auto& [name, addr] : nodes)
        n[name] = addr ? nlohmann::json(addr->to_string()) : nlohmann::json();
    if (tls.enabled()) {
        // File names only: the passphrase itself is never in the configuration.
        auto& t = doc["tls"];
        t["certificate_chain_file"] = tls.certificate_chain_file;
        t["private_key_file"] = tls.private_key_file;
        t["ca_file"] = tls.ca_file;
        t["min_version"] = tls.min_version;
        if (!tls.passphrase_env.empty()) t["passphrase_env"] = tls.passphrase_env;
        if (!tls.ciphers.empty()) t["ciphers"] = tls.ciphers;
    }
    return doc;
}

outcome<cluster_config> parse_config(const nlohmann::json& doc) {
    if (!doc.is_object()) return bad("the document must be a JSON object.");
    static constexpr std::string_view known[] = {"cluster",      "secret", "codec", "max_frame",
                                                 "heartbeat_ms", "nodes",  "tls"};
    for (const auto& item : doc.items()) {
        if (std::find(std::begin(known), std::end(known), item.key()) == std::end(known))
            return bad("unknown key " + in_quotes(item.key()) +
                       " (expected cluster, secret, codec, max_frame, heartbeat_ms, nodes, tls).");
    }

    cluster_config cfg;
    const auto cluster = doc.find("cluster");
    if (cluster == doc.end()) return bad("the cluster name ('cluster') is missing.");
    if (!cluster->is_string()) return bad("'cluster' must be a string.");
    cfg.cluster = cluster->get<std::string>();
    if (cfg.cluster.empty()) return bad("the cluster name ('cluster') must not be empty.");
    if (cfg.cluster.size() > max_node_name ||
        !std::all_of(cfg.cluster.begin(), cfg.cluster.end(), [](char c) { return host_char(c); }))
        return bad("the cluster name " + in_quotes(cfg.cluster) +
                   " must be at most 64 characters from letters, digits, '.', '-' and '_'.");

    const auto secret = doc.find("secret");
    if (secret == doc.end()) return bad("the shared secret ('secret') is missing.");
    if (!secret->is_string()) return bad("'secret' must be a string.");
    cfg.secret = secret->get<std::string>();
    if (cfg.secret.empty()) return bad("the shared secret ('secret') must not be empty.");

    if (const auto codec = doc.find("codec"); codec != doc.end()) {
        if (!codec->is_string()) return bad("'codec' must be a string: json, cbor or msgpack.");
        const auto c = rpc::codec_from_string(codec->get<std::string>());
        if (!c)
            return bad("unknown codec " + in_quotes(codec->get<std::string>()) +
                       " (expected json, cbor or msgpack).");
        cfg.codec = *c;
    }

    if (const auto mf = doc.find("max_frame"); mf != doc.end()) {
        const auto v = non_negative_integer(*mf);
        if (!v || *v < min_max_frame || *v > max_max_frame)
            return bad("'max_frame' must be an integer number of bytes in " + std::to_string(min_max_frame) +
                       ".." + std::to_string(max_max_frame) + ".");
        cfg.max_frame = static_cast<std::size_t>(*v);
    }

    if (const auto hb = doc.find("heartbeat_ms"); hb != doc.end()) {
        const auto v = non_negative_integer(*hb);
        if (!v || *v < static_cast<std::uint64_t>(min_heartbeat.count()) ||
            *v > static_cast<std::uint64_t>(max_heartbeat.count()))
            return bad("'heartbeat_ms' must be an integer in " + std::to_string(min_heartbeat.count()) +
                       ".." + std::to_string(max_heartbeat.count()) + ".");
        cfg.heartbeat = std::chrono::milliseconds(static_cast<std::int64_t>(*v));
    }

    if (const auto tls = doc.find("tls"); tls != doc.end()) {
        auto t = tls_options::from_json(*tls, "cluster option 'tls'", "ca_file");
        if (!t) return bad(t.error().message);
        // Both ends of a link verify the other: without a CA nobody could be verified.
        if (t->ca_file.empty())
            return bad(
                "the cluster option 'tls' needs 'ca_file' (the cluster CA that signs every node's "
                "certificate).");
        cfg.tls = std::move(*t);
    }

    const auto nodes = doc.find("nodes");
    if (nodes == doc.end()) return bad("the node map ('nodes') is missing.");
    if (!nodes->is_object())
        return bad("'nodes' must be an object mapping node names to \"host:port\" or null.");
    std::map<std::string, std::string> by_address;  // lower-cased "host:port" → node name
    for (const auto& item : nodes->items()) {
        const std::string& name = item.key();
        if (!valid_node_name(name))
            return bad(
                "node name " + in_quotes(name) +
                " is invalid: use 1..64 characters from letters, digits, '-' and '_' (no '@' or '.').");
        const auto& value = item.value();
        if (value.is_null()) {
            cfg.nodes.emplace(name, std::nullopt);
            continue;
        }
        if (!value.is_string())
            return bad("node " + in_quotes(name) + ": the address must be \"host:port\" or null.");
        auto ep = parse_endpoint(value.get<std::string>());
        if (!ep) return bad("node " + in_quotes(name) + ": " + ep.error().message);
        const auto key = lower(ep->to_string());
        if (const auto [it, inserted] = by_address.emplace(key, name); !inserted)
            return bad("nodes " + in_quotes(it->second) + " and " + in_quotes(name) +
                       " have the same address " + ep->to_string() + ".");
        cfg.nodes.emplace(name, std::move(*ep));
    }
    return cfg;
}

outcome<cluster_config> parse_config(std::string_view json_text) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& e) {
        return bad(std::string("the text is not valid JSON (") + e.what() + ").");
    }
    return parse_config(doc);
}

outcome<cluster_config> load_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return bad("cannot open the file " + in_quotes(path) + ".");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return bad("cannot read the file " + in_quotes(path) + ".");
    auto cfg = parse_config(std::string_view(text.str()));
    if (!cfg) return failure{errc::bad_config, cfg.error().message + " (file " + path + ")"};
    return cfg;
}

bool config_diff::empty() const noexcept {
    return added.empty() && removed.empty() && changed.empty() && !cluster_changed && !secret_changed &&
           !codec_changed && !max_frame_changed && !heartbeat_changed && !tls_changed;
}

nlohmann::json config_diff::to_json() const {
    const auto addr = [](const std::optional<endpoint>& a) {
        return a ? nlohmann::json(a->to_string()) : nlohmann::json();
    };
    const auto entries = [&](const std::vector<node_entry>& v) {
        auto out = nlohmann::json::array();
        for (const auto& e : v) {
            nlohmann::json item;
            item["node"] = e.name;
            item["address"] = addr(e.address);
            out.push_back(std::move(item));
        }
        return out;
    };
    nlohmann::json doc;
    doc["added"] = entries(added);
    doc["removed"] = entries(removed);
    doc["unchanged"] = entries(unchanged);
    auto ch = nlohmann::json::array();
    for (const auto& c : changed) {
        nlohmann::json item;
        item["node"] = c.name;
        item["from"] = addr(c.from);
        item["to"] = addr(c.to);
        ch.push_back(std::move(item));
    }
    doc["changed"] = std::move(ch);
    doc["cluster_changed"] = cluster_changed;
    doc["secret_changed"] = secret_changed;
    doc["codec_changed"] = codec_changed;
    doc["max_frame_changed"] = max_frame_changed;
    doc["heartbeat_changed"] = heartbeat_changed;
    doc["tls_changed"] = tls_changed;
    return doc;
}

config_diff diff(const cluster_config& from, const cluster_config& to) {
    config_diff d;
    d.cluster_changed = from.cluster != to.cluster;
    d.secret_changed = from.secret != to.secret;
    d.codec_changed = from.codec != to.codec;
    d.max_frame_changed = from.max_frame != to.max_frame;
    d.heartbeat_changed = from.heartbeat != to.heartbeat;
    d.tls_changed = from.tls != to.tls;
    // Both maps are sorted by name: one merge pass yields every list already sorted.
    auto a = from.nodes.begin();
    auto b = to.nodes.begin();
    while (a != from.nodes.end() || b != to.nodes.end()) {
        if (b == to.nodes.end() || (a != from.nodes.end() && a->first < b->first)) {
            d.removed.push_back({a->first, a->second});
            ++a;
        } else if (a == from.nodes.end() || b->first < a->first) {
            d.added.push_back({b->first, b->second});
            ++b;
        } else {
            if (a->second == b->second)
                d.unchanged.push_back({a->first, a->second});
            else
                d.changed.push_back({a->first, a->second, b->second});
            ++a;
            ++b;
        }
    }
    return d;
}

}  // namespace hearth::cluster
