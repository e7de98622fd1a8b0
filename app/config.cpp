#include "app/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "cluster/admin_routes.hpp"
#include "session/gate_options.hpp"

namespace hearth::app {

namespace {

using nlohmann::json;

constexpr std::string_view level_names[] = {"trace", "debug",    "info", "warn", "warning",
                                            "error", "critical", "off",  "err"};

std::string quoted(const std::string& key) {
    return "'" + key + "'";
}

std::string type_name(const json& v) {
    return v.type_name();
}

bool ip_literal(const std::string& host) {
    unsigned char buf[16];
    return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

/// Collects problems while walking the document.
struct checker {
    std::vector<std::string> problems;
    const std::vector<std::string>& registered;

    void add(std::string sentence) { problems.push_back(std::move(sentence)); }

    void unknown_keys(const json& obj, const std::string& where,
                      std::initializer_list<std::string_view> known) {
        for (const auto& [key, v] : obj.items())
            if (std::find(known.begin(), known.end(), key) == known.end()) {
                std::string list;
                for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
                add("Unknown key " + quoted(where.empty() ? key : where + "." + key) +
                    " (known here: " + list + ").");
            }
    }

    bool object(const json& v, const std::string& key) {
        if (v.is_object()) return true;
        add(quoted(key) + " must be a JSON object (it is " + type_name(v) + ").");
        return false;
    }

    std::optional<unsigned> threads(const json& v, const std::string& key) {
        if (v.is_number_integer() && v.get<long long>() >= 0 && v.get<long long>() <= 1024)
            return v.get<unsigned>();
        add(quoted(key) + " must be an integer from 0 (one per core) to 1024 (it is " + v.dump() + ").");
        return std::nullopt;
    }

    // node_config::spin in microseconds: 0 (sleep at once) to 10,000.
    std::optional<unsigned> spin_us(const json& v, const std::string& key) {
        if (v.is_number_integer() && v.get<long long>() >= 0 && v.get<long long>() <= 10000)
            return v.get<unsigned>();
        add(quoted(key) + " must be an integer number of microseconds from 0 to 10000 (it is " + v.dump() +
            ").");
        return std::nullopt;
    }

    std::optional<std::string> level(const json& v, const std::string& key) {
        if (v.is_string() && valid_log_level(v.get<std::string>())) return v.get<std::string>();
        add(quoted(key) + " must be a log level (trace, debug, info, warn, error, critical, off), not " +
            v.dump() + ".");
        return std::nullopt;
    }

    std::optional<std::uint16_t> port(const json& v, const std::string& key) {
        if (v.is_number_integer() && v.get<long long>() >= 0 && v.get<long long>() <= 65535)
            return v.get<std::uint16_t>();
        add(quoted(key) + " must be a port number from 0 (any free port) to 65535 (it is " + v.dump() + ").");
        return std::nullopt;
    }

    /// The gate section, key by key, so every bad key is reported (gate_options::from_json
    /// stops at the first one).
    std::optional<json> gate(const json& v, const std::string& key) {
        if (!object(v, key)) return std::nullopt;
        bool ok = true;
        for (const auto& [k, value] : v.items()) {
            auto alone = json::object({{k, value}});
            // A TLS port is checked on its own value here (a placeholder stands in for the "tls"
            // block it needs); whether the block is really there is the whole-section check below.
            if (k == "tls_port" || k == "wss_port")
                alone["tls"] = {{"certificate_chain_file", "-"}, {"private_key_file", "-"}};
            if (auto parsed = session::gate_options::from_json(alone); !parsed) {
                add(quoted(key) + ": " + parsed.error().message);
                ok = false;
            }
        }
        if (ok)
            if (auto whole = session::gate_options::from_json(v); !whole) {
                add(quoted(key) + ": " + whole.error().message);
                ok = false;
            }
        if (v.contains("host") && v["host"].is_string() && !ip_literal(v["host"].get<std::string>())) {
            add(quoted(key + ".host") + " must be an IPv4 or IPv6 address, not " + v["host"].dump() + ".");
            ok = false;
        }
        return ok ? std::optional<json>(v) : std::nullopt;
    }

    std::vector<std::string> services(const json& v, const std::string& key) {
        std::vector<std::string> names;
        if (!v.is_array()) {
            add(quoted(key) + " must be an array of service names (it is " + type_name(v) + ").");
            return names;
        }
        for (std::size_t i = 0; i < v.size(); ++i) {
            const std::string at = key + "[" + std::to_string(i) + "]";
            if (!v[i].is_string()) {
                add(quoted(at) + " must be a service name (a string), not " + v[i].dump() + ".");
                continue;
            }
            const auto name = v[i].get<std::string>();
            if (std::find(registered.begin(), registered.end(), name) == registered.end()) {
                std::string known;
                for (const auto& r : registered) known += (known.empty() ? "" : ", ") + r;
                add(quoted(at) + " names the service \"" + name +
                    "\", which this program does not register (it registers: " +
                    (known.empty() ? "none" : known) + ").");
                continue;
            }
            if (std::find(names.begin(), names.end(), name) != names.end()) {
                add(quoted(at) + " lists the service \"" + name + "\" twice.");
                continue;
            }
            names.push_back(name);
        }
        return names;
    }

    std::optional<admin_settings> admin(const json& v) {
        if (!object(v, "admin")) return std::nullopt;
        unknown_keys(v, "admin", {"address", "port", "token", "open_reads", "tls"});
        admin_settings a;
        if (v.contains("address")) {
            if (!v["address"].is_string() || !ip_literal(v["address"].get<std::string>()))
                add("'admin.address' must be an IPv4 or IPv6 address, not " + v["address"].dump() + ".");
            else
                a.address = v["address"].get<std::string>();
        }
        if (v.contains("port"))
            if (auto p = port(v["port"], "admin.port")) a.port = *p;
        if (v.contains("token")) {
            if (!v["token"].is_string())
                add("'admin.token' must be a string (it is " + type_name(v["token"]) + ").");
            else
                a.token = v["token"].get<std::string>();
        }
        if (v.contains("open_reads")) {
            if (!v["open_reads"].is_boolean())
                add("'admin.open_reads' must be true or false (it is " + v["open_reads"].dump() + ").");
            else
                a.open_reads = v["open_reads"].get<bool>();
        }
        if (v.contains("tls")) {
            if (auto t = tls_options::from_json(v["tls"], "admin option 'tls'"))
                a.tls = std::move(*t);
            else
                add(t.error().message);
        }
        return a;
    }
};

std::string folder_of(const std::string& path) {
    const auto parent = std::filesystem::path(path).parent_path();
    return parent.empty() ? std::string() : parent.string();
}

std::string resolve(const std::string& base, const std::string& file) {
    if (base.empty() || std::filesystem::path(file).is_absolute()) return file;
    return (std::filesystem::path(base) / file).string();
}

}  // namespace

bool valid_log_level(std::string_view level) noexcept {
    return std::find(std::begin(level_names), std::end(level_names), level) != std::end(level_names);
}

void throw_exception_from_error(const config_problems& p) {
    std::string what = std::to_string(p.sentences.size()) + " configuration problem" +
                       (p.sentences.size() == 1 ? "" : "s") + ":";
    for (const auto& s : p.sentences) what += " " + s;
    throw rpc::bad_result_access(std::make_error_code(std::errc::invalid_argument), what);
}

config_result parse_config(const json& doc, const std::string& path, const overrides& flags,
                           const std::vector<std::string>& registered,
                           const std::vector<std::string>& everywhere) {
    app_config cfg;
    cfg.path = path;
    checker check{{}, registered};

    if (!doc.is_object())
        return config_problems{{"The configuration must be a JSON object (it is " + type_name(doc) + ")."}};
    check.unknown_keys(doc, "", {"node", "gate", "services", "admin", "cluster", "nodes", "start"});
    cfg.single = !doc.contains("nodes");

    // "node": the single node, or defaults for every node of "nodes".
    std::string single_name = "node";
    unsigned default_threads = 0;
    std::optional<unsigned> default_spin;
    std::string default_level = "info";
    if (doc.contains("node") && check.object(doc["node"], "node")) {
        const auto& n = doc["node"];
        check.unknown_keys(n, "node", {"name", "threads", "log_level", "spin_us"});
        if (n.contains("name")) {
            if (!cfg.single)
                check.add(
                    "'node.name' names the node of a configuration without 'nodes'; with 'nodes' the "
                    "node names are its keys.");
            else if (!n["name"].is_string() || !cluster::valid_node_name(n["name"].get<std::string>()))
                check.add("'node.name' must be 1 to 64 letters, digits, '-' or '_' (it is " +
                          n["name"].dump() + ").");
            else
                single_name = n["name"].get<std::string>();
        }
        if (n.contains("threads"))
            if (auto t = check.threads(n["threads"], "node.threads")) default_threads = *t;
        if (n.contains("spin_us"))
            if (auto s = check.spin_us(n["spin_us"], "node.spin_us")) default_spin = *s;
        if (n.contains("log_level"))
            if (auto l = check.level(n["log_level"], "node.log_level")) default_level = *l;
    }

    std::optional<admin_settings> admin;
    if (doc.contains("admin")) admin = check.admin(doc["admin"]);

    if (cfg.single) {
        node_plan plan;
        plan.name = flags.node.value_or(single_name);
        if (flags.node && *flags.node != single_name)
            check.add("--node " + *flags.node +
                      " does not name the node of this configuration ('node.name' is \"" + single_name +
                      "\"; a configuration of several nodes lists them under 'nodes').");
        plan.threads = default_threads;
        plan.spin_us = default_spin;
        plan.log_level = default_level;
        if (doc.contains("gate")) plan.gate = check.gate(doc["gate"], "gate");
        if (doc.contains("services"))
            plan.services = check.services(doc["services"], "services");
        else
            for (const auto& r : registered)
                if (std::find(everywhere.begin(), everywhere.end(), r) == everywhere.end())
                    plan.services.push_back(r);
        plan.admin = admin;
        if (doc.contains("start")) check.add("'start' lists nodes to launch; it needs a 'nodes' section.");
        cfg.start = {plan.name};
        cfg.nodes.emplace(plan.name, std::move(plan));
    } else {
        if (doc.contains("gate"))
            check.add(
                "The top-level 'gate' belongs to a configuration without 'nodes'; put it under "
                "'nodes.NAME.gate'.");
        if (doc.contains("services"))
            check.add(
                "The top-level 'services' belongs to a configuration without 'nodes'; put it under "
                "'nodes.NAME.services'.");
        const auto& nodes = doc["nodes"];
        if (check.object(nodes, "nodes")) {
            if (nodes.empty()) check.add("'nodes' is empty: it must name at least one node.");
            for (const auto& [name, entry] : nodes.items()) {
                const std::string where = "nodes." + name;
                if (!cluster::valid_node_name(name))
                    check.add(quoted(where) + ": a node name is 1 to 64 letters, digits, '-' or '_'.");
                if (!check.object(entry, where)) continue;
                check.unknown_keys(entry, where,
                                   {"threads", "log_level", "admin_port", "gate", "services", "spin_us"});
                node_plan plan;
                plan.name = name;
                plan.threads = default_threads;
                plan.spin_us = default_spin;
                plan.log_level = default_level;
                if (entry.contains("threads"))
                    if (auto t = check.threads(entry["threads"], where + ".threads")) plan.threads = *t;
                if (entry.contains("spin_us"))
                    if (auto s = check.spin_us(entry["spin_us"], where + ".spin_us")) plan.spin_us = *s;
                if (entry.contains("log_level"))
                    if (auto l = check.level(entry["log_level"], where + ".log_level")) plan.log_level = *l;
                if (entry.contains("gate")) plan.gate = check.gate(entry["gate"], where + ".gate");
                if (entry.contains("services"))
                    plan.services = check.services(entry["services"], where + ".services");
                plan.admin = admin;
                if (entry.contains("admin_port"))
                    if (auto p = check.port(entry["admin_port"], where + ".admin_port")) {
                        if (!plan.admin) plan.admin = admin_settings{};
                        plan.admin->port = *p;
                    }
                cfg.nodes.emplace(name, std::move(plan));
            }
        }
        if (doc.contains("start")) {
            const auto& start = doc["start"];
            if (!start.is_array()) {
                check.add("'start' must be an array of node names (it is " + type_name(start) + ").");
            } else {
                for (std::size_t i = 0; i < start.size(); ++i) {
                    const std::string at = "start[" + std::to_string(i) + "]";
                    if (!start[i].is_string() || !cfg.nodes.count(start[i].get<std::string>()))
                        check.add(quoted(at) + " must name a node under 'nodes', not " + start[i].dump() +
                                  ".");
                    else
                        cfg.start.push_back(start[i].get<std::string>());
                }
            }
        } else {
            for (const auto& [name, plan] : cfg.nodes) cfg.start.push_back(name);
        }
        if (flags.node && nodes.is_object() && !nodes.contains(*flags.node))
            check.add("--node " + *flags.node + " is not under 'nodes' in the configuration.");
    }

    // The cluster: --cluster FILE, else the "cluster" section (an object or a file name).
    if (flags.cluster_file) {
        auto c = cluster::load_config_member(*flags.cluster_file);
        if (c)
            cfg.cluster = std::move(*c);
        else
            check.add("--cluster " + *flags.cluster_file + ": " + c.error().message);
        cfg.cluster_file = flags.cluster_file;
    } else if (doc.contains("cluster")) {
        const auto& c = doc["cluster"];
        if (c.is_string()) {
            const auto file = resolve(folder_of(path), c.get<std::string>());
            auto loaded = cluster::load_config(file);
            if (loaded)
                cfg.cluster = std::move(*loaded);
            else
                check.add("'cluster' (the file " + file + "): " + loaded.error().message);
            cfg.cluster_file = file;
        } else if (c.is_object()) {
            auto parsed = cluster::parse_config(c);
            if (parsed)
                cfg.cluster = std::move(*parsed);
            else
                check.add("'cluster': " + parsed.error().message);
            if (!path.empty()) cfg.cluster_file = path;
        } else {
            check.add(
                "'cluster' must be a cluster configuration (an object) or the name of a file holding one "
                "(it is " +
                type_name(c) + ").");
        }
    } else if (cfg.nodes.size() > 1) {
        check.add(
            "Missing section 'cluster': a configuration of several nodes needs one (an object, or the "
            "name of a file).");
    }

    // The nodes that will run must be in the cluster, with an address.
    if (cfg.cluster) {
        std::vector<std::string> running;
        if (flags.node)
            running.push_back(*flags.node);
        else
            running = cfg.start;
        for (const auto& name : running)
            if (cfg.nodes.count(name) && !cfg.cluster->address_of(name))
                check.add("Node '" + name + "' has no address in the cluster configuration ('cluster.nodes." +
                          name + "' is missing or null).");
    }

    // Command-line overrides.
    if (flags.log_level && !valid_log_level(*flags.log_level))
        check.add("--log-level " + *flags.log_level +
                  " is not a log level (trace, debug, info, warn, error, critical, off).");
    if (flags.admin_port && !cfg.single && !flags.node)
        check.add("--admin-port sets the admin port of one node: name it with --node.");
    for (auto& [name, plan] : cfg.nodes) {
        if (flags.log_level) plan.log_level = *flags.log_level;
        if (flags.admin_port && (cfg.single || (flags.node && *flags.node == name))) {
            if (!plan.admin) plan.admin = admin_settings{};
            plan.admin->port = *flags.admin_port;
        }
    }

    if (!check.problems.empty()) return config_problems{std::move(check.problems)};
    return cfg;
}

config_result load_config(const std::string& path, const std::string& builtin, const overrides& flags,
                          const std::vector<std::string>& registered,
                          const std::vector<std::string>& everywhere) {
    std::string text = builtin;
    if (!path.empty()) {
        std::ifstream in(path);
        if (!in) return config_problems{{"Cannot read the configuration file " + path + "."}};
        std::ostringstream s;
        s << in.rdbuf();
        text = s.str();
    }
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {  // its message names the byte where it went wrong
        return config_problems{{(path.empty() ? std::string("The built-in configuration") : path) +
                                " is not valid JSON: " + e.what()}};
    }
    return parse_config(doc, path, flags, registered, everywhere);
}

json app_config::to_public_json() const {
    json out = json::object();
    if (!path.empty()) out["config"] = path;
    json nodes_json = json::object();
    for (const auto& [name, plan] : nodes) {
        json n = {{"threads", plan.threads}, {"log_level", plan.log_level}, {"services", plan.services}};
        if (plan.spin_us) n["spin_us"] = *plan.spin_us;
        if (plan.gate) n["gate"] = *plan.gate;
        if (plan.admin)
            n["admin"] = {{"address", plan.admin->address},
                          {"port", plan.admin->port},
                          {"token", plan.admin->token.empty() ? "" : "***"},
                          {"open_reads", plan.admin->open_reads}};
        if (plan.admin && plan.admin->tls.enabled())
            n["admin"]["tls"] = {{"certificate_chain_file", plan.admin->tls.certificate_chain_file},
                                 {"private_key_file", plan.admin->tls.private_key_file},
                                 {"client_ca_file", plan.admin->tls.ca_file},
                                 {"min_version", plan.admin->tls.min_version}};
        nodes_json[name] = std::move(n);
    }
    out["nodes"] = std::move(nodes_json);
    out["start"] = start;
    if (cluster) out["cluster"] = cluster->to_public_json();
    if (cluster_file) out["cluster_file"] = *cluster_file;
    return out;
}

}  // namespace hearth::app
