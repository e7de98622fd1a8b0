#include "session/group.hpp"

#include <algorithm>
#include <stdexcept>

#include "framework/service.hpp"
#include "framework/worker.hpp"
#include "session/detail/local_gate.hpp"
#include "session/detail/send_failure.hpp"
#include "session/gate.hpp"
#include "session/gate_methods.hpp"

namespace hearth::session {

bool group::add(const ref& r) {
    auto& g = gates_[r.gate_node()];
    auto it = std::lower_bound(g.ids.begin(), g.ids.end(), r.id());
    if (it != g.ids.end() && *it == r.id()) return false;
    g.ids.insert(it, r.id());
    g.snapshot.reset();
    ++count_;
    return true;
}

bool group::remove(const ref& r) {
    auto git = gates_.find(r.gate_node());
    if (git == gates_.end()) return false;
    auto& ids = git->second.ids;
    auto it = std::lower_bound(ids.begin(), ids.end(), r.id());
    if (it == ids.end() || *it != r.id()) return false;
    ids.erase(it);
    git->second.snapshot.reset();
    --count_;
    if (ids.empty()) gates_.erase(git);
    return true;
}

bool group::contains(const ref& r) const {
    auto git = gates_.find(r.gate_node());
    if (git == gates_.end()) return false;
    return std::binary_search(git->second.ids.begin(), git->second.ids.end(), r.id());
}

void group::clear() {
    gates_.clear();
    count_ = 0;
}

std::vector<ref> group::members() const {
    std::vector<ref> out;
    out.reserve(count_);
    for (const auto& [node, g] : gates_)
        for (auto id : g.ids) out.emplace_back(node, id, g.service);
    return out;
}

result<void> group::send(const std::string& gate_node, gate_members& g, std::string_view route,
                         const std::shared_ptr<const std::string>& payload,
                         std::shared_ptr<const std::vector<std::uint64_t>> ids) {
    worker* w = worker::current();
    if (!w)
        throw std::logic_error("hearth::session::group broadcasts run on a worker thread of a running node.");
    if (gate* local = detail::local_gate(w->owner(), gate_node, g.service)) {
        // Straight to the members' workers, like ref::push: a broadcast and a push from one
        // service reach a session in the order they were sent.
        if (ids) local->deliver_broadcast(route, *payload, *ids);
        return {};
    }
    detail::note_remote_effect(w->owner());
    broadcast_request req;
    req.route = std::string(route);
    req.payload = payload;
    req.sessions = std::move(ids);
    return hearth::notify(w->owner(), gate_method::broadcast, g.service + "@" + gate_node, std::move(req));
}

void group::broadcast(std::string_view route, const nlohmann::json& msg) {
    detail::note_send_failure("broadcast", try_broadcast(route, msg));
}

void group::broadcast_raw(std::string_view route, std::string payload) {
    detail::note_send_failure("broadcast", try_broadcast_raw(route, std::move(payload)));
}

void group::multicast(std::string_view route, const nlohmann::json& msg,
                      const std::function<bool(const ref&)>& filter) {
    detail::note_send_failure("multicast", try_multicast(route, msg, filter));
}

result<void> group::try_broadcast(std::string_view route, const nlohmann::json& msg) {
    return try_broadcast_raw(route, msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

result<void> group::try_broadcast_raw(std::string_view route, std::string payload) {
    auto shared = std::make_shared<const std::string>(std::move(payload));
    result<void> first;
    for (auto& [node, g] : gates_) {
        if (!g.snapshot) g.snapshot = std::make_shared<const std::vector<std::uint64_t>>(g.ids);
        auto r = send(node, g, route, shared, g.snapshot);
        if (!r && first) first = std::move(r);
    }
    return first;
}

result<void> group::try_multicast(std::string_view route, const nlohmann::json& msg,
                                  const std::function<bool(const ref&)>& filter) {
    auto shared = std::make_shared<const std::string>(
        msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    result<void> first;
    for (auto& [node, g] : gates_) {
        auto ids = std::make_shared<std::vector<std::uint64_t>>();
        for (auto id : g.ids)
            if (filter(ref(node, id, g.service))) ids->push_back(id);
        if (ids->empty()) continue;
        auto r = send(node, g, route, shared, std::move(ids));
        if (!r && first) first = std::move(r);
    }
    return first;
}

}  // namespace hearth::session
