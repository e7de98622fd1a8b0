#pragma once
// session::group: a set of session refs, e.g. a chat room's members, with broadcast.
//
// broadcast(route, msg) encodes the payload once and sends one "gate.broadcast" message per
// gate node (not one per member; a gate on the caller's node is called directly); each gate
// encodes one Push packet and every member's write queue shares it. A broadcast and the
// sender's ref::push calls reach a session in the order sent. Member lists per gate are immutable snapshots
// rebuilt only after the membership changes, so repeated broadcasts to a stable group copy nothing per
// member.
//
// Threading: a group is a plain object owned by one service; use it from that service's
// handlers only (it has no lock). Sessions that closed stay members until removed (their
// pushes are dropped by the gate); remove them from a hearth::session::closed handler.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpc/result.hpp"
#include "session/ref.hpp"

namespace hearth::session {

class group {
  public:
    group() = default;
    explicit group(std::string name) : name_(std::move(name)) {}

    const std::string& name() const noexcept { return name_; }

    /// Adds a member; false when it was already one.
    bool add(const ref& r);
    /// Removes a member; false when it was not one.
    bool remove(const ref& r);
    bool contains(const ref& r) const;
    std::size_t count() const noexcept { return count_; }
    void clear();
    /// Every member, grouped by gate.
    std::vector<ref> members() const;

    // broadcast, broadcast_raw and multicast are fire-and-forget: a gate that does not accept
    // the message (unreachable, overloaded, not_found) is counted in
    // hearth_session_send_failures_total{op} and logged, and the other gates still get theirs.
    // The try_ forms return the first such error instead.

    /// Pushes (route, msg) to every member; msg is anything convertible to nlohmann::json.
    void broadcast(std::string_view route, const nlohmann::json& msg);
    result<void> try_broadcast(std::string_view route, const nlohmann::json& msg);
    /// As broadcast, with a payload that is already JSON text.
    void broadcast_raw(std::string_view route, std::string payload);
    result<void> try_broadcast_raw(std::string_view route, std::string payload);
    /// Pushes to the members for which filter(ref) is true.
    void multicast(std::string_view route, const nlohmann::json& msg,
                   const std::function<bool(const ref&)>& filter);
    result<void> try_multicast(std::string_view route, const nlohmann::json& msg,
                               const std::function<bool(const ref&)>& filter);

  private:
    struct gate_members {
        std::string service = "gate";
        std::vector<std::uint64_t> ids;                              // sorted
        std::shared_ptr<const std::vector<std::uint64_t>> snapshot;  // rebuilt after a change
    };
    result<void> send(const std::string& gate_node, gate_members& g, std::string_view route,
                      const std::shared_ptr<const std::string>& payload,
                      std::shared_ptr<const std::vector<std::uint64_t>> ids);

    std::string name_;
    std::map<std::string, gate_members, std::less<>> gates_;  // by gate node
    std::size_t count_ = 0;
};

}  // namespace hearth::session
