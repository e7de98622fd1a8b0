#include "cluster/admin_routes.hpp"

#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include <spdlog/spdlog.h>

namespace hearth::cluster {

namespace {

using wall_clock = std::chrono::system_clock;

std::string hex64(std::uint64_t v) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// When each node entered its current membership state, as this process saw it. Membership
// keeps states, not times; the tracker learns transitions from membership events (the callback
// runs under membership's lock, so it must not call back into membership) and, for transitions
// without an event (unknown -> connecting), notices the new state at the next GET.
class state_tracker {
  public:
    struct entry {
        node_state state = node_state::unknown;
        wall_clock::time_point since;
    };

    void on_event(const membership_event& e) {
        std::optional<node_state> s;
        switch (e.kind) {
            case membership_event_kind::node_up:
                s = node_state::up;
                break;
            case membership_event_kind::node_down:
                s = node_state::down;
                break;
            case membership_event_kind::node_left:
                s = node_state::left;
                break;
            case membership_event_kind::node_removed:
                s = node_state::removed;
                break;
            case membership_event_kind::node_address_changed:
                break;
        }
        std::lock_guard lock(mutex_);
        auto& en = entries_[e.node];
        if (s) en.state = *s;
        en.since = wall_clock::now();
    }

    /// The entry for `node`, updated to `now_state` (a state change seen without an event
    /// starts now; a node seen for the first time counts from when tracking began).
    entry observe(const std::string& node, node_state now_state) {
        std::lock_guard lock(mutex_);
        auto [it, fresh] = entries_.try_emplace(node, entry{now_state, started_});
        if (!fresh && it->second.state != now_state) it->second = entry{now_state, wall_clock::now()};
        return it->second;
    }

  private:
    std::mutex mutex_;
    std::map<std::string, entry> entries_;
    const wall_clock::time_point started_ = wall_clock::now();
};

bool blank(std::string_view s) {
    for (char ch : s)
        if (!std::isspace(static_cast<unsigned char>(ch))) return false;
    return true;
}

// A cluster configuration, or an object holding one under "cluster" (a whole node file).
outcome<cluster_config> parse_config_member(std::string_view text) {
    auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (!doc.is_discarded() && doc.is_object()) {
        auto it = doc.find("cluster");
        if (it != doc.end() && it->is_object()) return parse_config(*it);
        return parse_config(doc);
    }
    return parse_config(text);  // its message says where the syntax breaks
}

nlohmann::json link_json(const peer_stats& st) {
    nlohmann::json l;
    l["state"] = std::string(to_string(st.state));
    l["connect_attempts"] = st.connect_attempts;
    l["links_up"] = st.links_up;
    // Per peer, over every sender a reload created for it (detail/peer_record.hpp).
    l["reconnects"] = st.peer_links_up > 0 ? st.peer_links_up - 1 : 0;
    l["live_sockets"] = st.live_sockets;
    l["max_live_sockets"] = st.max_live_sockets;
    l["clock_offset_us"] = st.clock_offset_us;
    l["round_trip_us"] = st.round_trip_us;
    l["queued"] = st.queued;
    l["in_flight"] = st.in_flight;
    l["expired_dropped"] = st.expired_dropped;
    l["unknown_replies"] = st.unknown_replies;
    l["peer_incarnation"] =
        st.peer_incarnation ? nlohmann::json(hex64(st.peer_incarnation)) : nlohmann::json();
    l["last_backoff_ms"] = st.last_backoff.count();
    l["last_failure"] = st.last_failure;
    return l;
}

nlohmann::json cluster_view(cluster& c, state_tracker& tracker) {
    const auto cfg = c.config_snapshot();
    const auto states = c.members().states();
    const auto now = wall_clock::now();
    auto& self = c.owner();

    nlohmann::json nodes = nlohmann::json::array();
    auto add = [&](const std::string& name, bool configured, std::optional<endpoint> address) {
        nlohmann::json n;
        n["name"] = name;
        n["configured"] = configured;
        n["address"] = address ? nlohmann::json(address->to_string()) : nlohmann::json();
        if (name == self.name()) {
            n["self"] = true;
            n["state"] = "self";
            n["incarnation"] = hex64(self.incarnation());
            n["since"] = iso_time(
                now - std::chrono::duration_cast<wall_clock::duration>(clock::now() - self.started_at()));
            n["services"] = self.service_names();
            nodes.push_back(std::move(n));
            return;
        }
        auto sit = states.find(name);
        const node_state st = sit == states.end() ? node_state::unknown : sit->second;
        const auto seen = tracker.observe(name, st);
        n["self"] = false;
        n["state"] = std::string(to_string(st));
        n["since"] = iso_time(seen.since);
        n["for_seconds"] = std::chrono::duration<double>(now - seen.since).count();
        n["services"] = c.members().services_of(name);
        if (auto ps = c.stats(name))
            n["link"] = link_json(*ps);
        else
            n["link"] = nullptr;
        nodes.push_back(std::move(n));
    };
    if (cfg) {
        for (const auto& [name, address] : cfg->nodes) add(name, true, address);
        // Nodes removed by a reload stay in the membership table as "removed".
        for (const auto& [name, st] : states)
            if (!cfg->contains(name)) add(name, false, std::nullopt);
    }

    nlohmann::json body;
    body["node"] = self.name();
    body["incarnation"] = hex64(self.incarnation());
    body["listen_port"] = c.port();
    body["cluster"] = cfg ? nlohmann::json(cfg->cluster) : nlohmann::json();
    body["config"] = cfg ? cfg->to_public_json() : nlohmann::json();
    body["reload_count"] = c.reload_count();
    body["misaddressed_frames"] = c.misaddressed_frames();
    body["handshake_failures"] = c.handshake_failures();
    body["agents"] = c.agent_count();
    body["nodes"] = std::move(nodes);
    return body;
}

}  // namespace

outcome<cluster_config> load_config_member(const std::string& path) {
    std::ifstream in(path);
    if (!in) return failure{errc::bad_config, "Cannot read the cluster configuration file '" + path + "'."};
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = parse_config_member(text.str());
    if (!parsed) return failure{errc::bad_config, path + ": " + parsed.error().message};
    return parsed;
}

void register_admin_routes(admin_server& admin, cluster& c, std::optional<std::string> config_path) {
    auto tracker = std::make_shared<state_tracker>();
    c.members().on_event([tracker](const membership_event& e) { tracker->on_event(e); });
    std::weak_ptr<cluster> weak = c.shared_from_this();

    admin.add_route("GET", "/cluster", false,
                    [weak, tracker](const admin_request&) -> awaitable<admin_response> {
                        auto self = weak.lock();
                        if (!self) throw admin_error(503, "The cluster is closed.");
                        admin_response r;
                        r.body = cluster_view(*self, *tracker);
                        co_return r;
                    });

    admin.add_route(
        "POST", "/cluster/reload", true,
        [weak, path = std::move(config_path)](const admin_request& req) -> awaitable<admin_response> {
            auto self = weak.lock();
            if (!self) throw admin_error(503, "The cluster is closed.");
            bool dry_run = false;
            if (auto it = req.query.find("dry_run"); it != req.query.end()) {
                const auto& v = it->second;
                if (v == "1" || v == "true" || v.empty())
                    dry_run = true;
                else if (v == "0" || v == "false")
                    dry_run = false;
                else
                    throw admin_error(400, "'dry_run' must be 1, true, 0 or false, not '" + v + "'.");
            }
            outcome<cluster_config> next = failure{errc::bad_config, ""};
            std::string source;
            if (blank(req.body)) {
                if (!path)
                    throw admin_error(400,
                                      "The body is empty and this node has no configuration file to "
                                      "re-read: send the full cluster configuration as JSON.");
                next = load_config_member(*path);
                source = *path;
            } else {
                next = parse_config_member(req.body);
                source = "the request body";
            }
            if (!next) {
                self->log().warn("admin reload rejected ({}): {}", source, next.error().message);
                auto res = admin_response::error(
                    400, next.error().message + " The running configuration is unchanged.");
                res.body["reload_count"] = self->reload_count();
                co_return res;
            }
            auto applied = self->reload(*next, dry_run);
            if (!applied) {
                auto res = admin_response::error(400, applied.error().message);
                res.body["reload_count"] = self->reload_count();
                co_return res;
            }
            admin_response r;
            r.body = applied->to_json();
            r.body["dry_run"] = dry_run;
            r.body["applied"] = !dry_run && !applied->empty();
            r.body["source"] = source;
            r.body["reload_count"] = self->reload_count();
            co_return r;
        });
}

}  // namespace hearth::cluster
