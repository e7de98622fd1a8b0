#include "tools/cli/admin_command.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <vector>

#include "tools/cli/endpoint_url.hpp"
#include "tools/cli/exit_status.hpp"

namespace hearth::tools {
namespace {

using nlohmann::json;

std::string text_of(const json& j) {
    if (j.is_string()) return j.get<std::string>();
    if (j.is_null()) return "-";
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string join(const json& array, const char* sep = ",") {
    std::string out;
    if (!array.is_array()) return text_of(array);
    for (const auto& v : array) out += (out.empty() ? "" : sep) + text_of(v);
    return out.empty() ? "-" : out;
}

// Formats rows as columns separated by two spaces, the first row being the header.
std::string table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], r[i].size());
        }
    std::string out;
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

std::string seconds(const json& j) {
    if (!j.is_number()) return "-";
    std::ostringstream s;
    s << std::fixed << std::setprecision(1) << j.get<double>() << " s";
    return s.str();
}

std::string render_cluster(const json& b) {
    std::ostringstream out;
    out << "cluster " << text_of(b.at("cluster")) << " as seen by " << text_of(b.at("node"))
        << " (incarnation " << text_of(b.value("incarnation", json())) << ", cluster port "
        << text_of(b.value("listen_port", json())) << "); reloads "
        << text_of(b.value("reload_count", json(0))) << ", misaddressed frames "
        << text_of(b.value("misaddressed_frames", json(0))) << ", handshake failures "
        << text_of(b.value("handshake_failures", json(0))) << "\n";
    std::vector<std::vector<std::string>> rows{{"NODE", "STATE", "ADDRESS", "FOR", "SERVICES", "LINK"}};
    for (const auto& n : b.at("nodes")) {
        std::string link = "-";
        if (const auto l = n.value("link", json()); l.is_object()) {
            link = text_of(l.value("state", json())) + ", queued " + text_of(l.value("queued", json(0))) +
                   ", in flight " + text_of(l.value("in_flight", json(0))) + ", reconnects " +
                   text_of(l.value("reconnects", json(0)));
            if (auto f = l.value("last_failure", std::string()); !f.empty()) link += ", last failure: " + f;
        }
        std::string state = text_of(n.at("state"));
        if (!n.value("configured", true)) state += " (not configured)";
        rows.push_back({text_of(n.at("name")), state, text_of(n.value("address", json())),
                        seconds(n.value("for_seconds", json())), join(n.value("services", json::array())),
                        link});
    }
    out << table(rows);
    return out.str();
}

std::string render_reload(const json& b) {
    std::ostringstream out;
    const bool dry = b.value("dry_run", false);
    const bool applied = b.value("applied", false);
    const bool changes = !b.at("added").empty() || !b.at("removed").empty() || !b.at("changed").empty();
    if (dry)
        out << (changes ? "dry run: this reload would change the cluster (nothing was changed)"
                        : "dry run: this reload would change nothing");
    else
        out << (applied ? "applied" : "not applied: the configuration is the running one");
    out << " (source: " << text_of(b.value("source", json())) << ", reloads so far "
        << text_of(b.value("reload_count", json(0))) << ")\n";
    auto list = [](const json& items) {
        std::string s;
        for (const auto& i : items) {
            if (!s.empty()) s += ", ";
            if (i.contains("from"))
                s += text_of(i.at("node")) + " " + text_of(i.at("from")) + " -> " + text_of(i.at("to"));
            else
                s += text_of(i.at("node")) + " " + text_of(i.value("address", json()));
        }
        return s.empty() ? std::string("-") : s;
    };
    out << "  added:     " << list(b.at("added")) << "\n";
    out << "  removed:   " << list(b.at("removed")) << "\n";
    out << "  changed:   " << list(b.at("changed")) << "\n";
    out << "  unchanged: " << list(b.value("unchanged", json::array())) << "\n";
    std::string settings;
    for (const char* k : {"cluster", "secret", "codec", "max_frame", "heartbeat"})
        if (b.value(std::string(k) + "_changed", false))
            settings += (settings.empty() ? "" : ", ") + std::string(k);
    if (!settings.empty()) out << "  settings changed: " << settings << "\n";
    return out.str();
}

std::string render_sessions(const json& b) {
    std::ostringstream out;
    const auto& items = b.at("items");
    const auto offset = b.value("offset", 0u);
    out << "gate '" << text_of(b.at("gate")) << "' on " << text_of(b.value("node", json())) << ": "
        << text_of(b.at("total")) << " session(s)";
    if (!items.empty()) out << ", showing " << offset + 1 << "-" << offset + items.size();
    out << "\n";
    if (items.empty()) return out.str();
    std::vector<std::vector<std::string>> rows{{"ID", "UID", "WORKER", "AGE", "SINCE"}};
    for (const auto& s : items) {
        const auto uid = text_of(s.value("uid", json("")));
        rows.push_back({text_of(s.at("id")), uid.empty() ? "-" : uid, text_of(s.value("worker", json())),
                        seconds(s.value("age_seconds", json())), text_of(s.value("since", json()))});
    }
    out << table(rows);
    return out.str();
}

std::string render_object(const json& b) {
    std::ostringstream out;
    if (b.is_array()) {  // /services
        for (const auto& item : b) {
            out << text_of(item.value("name", json())) << ":";
            for (const auto& [k, v] : item.items())
                if (k != "name") out << " " << k << "=" << (v.is_array() ? join(v) : text_of(v));
            out << "\n";
        }
        return out.str();
    }
    for (const auto& [k, v] : b.items()) out << k << ": " << (v.is_array() ? join(v) : text_of(v)) << "\n";
    return out.str();
}

}  // namespace

std::optional<http_request> make_admin_request(const admin_options& o, std::string& error) {
    http_request r;
    r.token = o.token;
    const auto& c = o.command;
    if (c == "cluster" || c == "health" || c == "node" || c == "services" || c == "metrics") {
        r.target = "/" + c;
    } else if (c == "sessions") {
        r.target = "/sessions?offset=" + std::to_string(o.offset) + "&limit=" + std::to_string(o.limit);
    } else if (c == "reload") {
        r.method = "POST";
        r.target = o.dry_run ? "/cluster/reload?dry_run=1" : "/cluster/reload";
        if (!o.argument.empty()) {
            std::ifstream in(o.argument, std::ios::binary);
            if (!in) {
                error = "cannot read " + o.argument;
                return std::nullopt;
            }
            std::ostringstream s;
            s << in.rdbuf();
            r.body = s.str();
            if (r.body.find_first_not_of(" \t\r\n") == std::string::npos) {
                error = o.argument + " is empty (to re-read the node's own configuration file, give no FILE)";
                return std::nullopt;
            }
        }
    } else if (c == "kick") {
        if (o.argument.empty() || !std::all_of(o.argument.begin(), o.argument.end(),
                                               [](unsigned char ch) { return std::isdigit(ch); })) {
            error = "'" + o.argument + "' is not a session id (a decimal number, as admin sessions shows)";
            return std::nullopt;
        }
        r.method = "POST";
        r.target = "/sessions/" + o.argument + "/kick";
        if (o.reason) r.body = json{{"reason", *o.reason}}.dump();
    } else if (c == "log-level") {
        r.method = "PUT";
        r.target = "/log-level";
        r.body = json{{"level", o.argument}}.dump();
    } else if (c == "shutdown") {
        r.method = "POST";
        r.target = "/shutdown";
    } else {
        error = "unknown admin command '" + c + "'";
        return std::nullopt;
    }
    return r;
}

std::string render_admin_answer(const std::string& c, const json& b) {
    if (c == "cluster") return render_cluster(b);
    if (c == "reload") return render_reload(b);
    if (c == "sessions") return render_sessions(b);
    if (c == "kick")
        return "kicked session " + text_of(b.at("kicked")) + ": " + text_of(b.at("reason")) + "\n";
    if (c == "log-level") return "log level set to " + text_of(b.at("level")) + "\n";
    if (c == "shutdown")
        return b.value("shutting_down", false) ? "the node is shutting down\n" : render_object(b);
    return render_object(b);
}

int run_admin(const admin_options& o) {
    std::string error;
    auto url = parse_endpoint_url(o.url, {"http"}, error);
    if (!url) {
        std::cerr << "hearth-cli: " << error << "\n";
        return exit_status::usage;
    }
    auto request = make_admin_request(o, error);
    if (!request) {
        std::cerr << "hearth-cli: " << error << "\n";
        return exit_status::usage;
    }
    auto answer = send_http(*url, *request, o.timeout, error);
    if (!answer) {
        std::cerr << "hearth-cli: " << error << "\n";
        return exit_status::failure;
    }
    const std::string what = request->method + " " + request->target;
    if (answer->status < 200 || answer->status > 299) {
        std::string message = answer->body;
        auto j = json::parse(answer->body, nullptr, false);
        if (j.is_object() && j.contains("error") && j["error"].is_string())
            message = j["error"].get<std::string>();
        while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
        std::cerr << "hearth-cli: " << what << ": " << answer->status << " " << answer->reason
                  << (message.empty() ? "" : ": " + message) << "\n";
        if (answer->status == 401)
            std::cerr << "hearth-cli: give the token with --token or HEARTH_ADMIN_TOKEN\n";
        if (o.json && !answer->body.empty())
            std::cout << answer->body << (answer->body.back() == '\n' ? "" : "\n");
        return exit_status::failure;
    }
    if (o.json || o.command == "metrics") {
        std::cout << answer->body;
        if (!answer->body.empty() && answer->body.back() != '\n') std::cout << "\n";
        return exit_status::ok;
    }
    auto body = json::parse(answer->body, nullptr, false);
    if (body.is_discarded()) {
        std::cerr << "hearth-cli: " << what << ": the answer is not JSON: " << answer->body.substr(0, 200)
                  << "\n";
        return exit_status::failure;
    }
    try {
        std::cout << render_admin_answer(o.command, body);
    } catch (const json::exception& e) {
        std::cerr << "hearth-cli: " << what << ": the answer lacks what the route documents (" << e.what()
                  << "); use --json to see it\n";
        return exit_status::failure;
    }
    return exit_status::ok;
}

}  // namespace hearth::tools
