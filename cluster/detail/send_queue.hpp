#pragma once
// The calls and notifies a sender has accepted and not yet written.
//
// A message is a small fixed-size record plus its variable fields (service, route, payload,
// caller, origin) appended to one byte arena, so accepting a message costs no allocation once
// the queue has grown to its working size. The sender keeps two queues and swaps them: callers
// append to one under the sender's mutex while the writer encodes the other.
//
// Frames are encoded at write time, not at acceptance: the target incarnation and a call's
// remaining time are only known then (a message queued while the peer restarts goes to the
// new incarnation).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "framework/remote_transport.hpp"

namespace hearth::cluster::detail {

class send_queue {
  public:
    struct entry {
        std::size_t at = 0;  // the fields' bytes start here in the arena, in declaration order
        std::uint32_t service = 0, route = 0, source = 0, gate_node = 0, uid = 0;
        std::uint32_t payload = 0;
        bool one_way = false;
        bool has_origin = false;
        std::uint64_t session_id = 0;
        reply_address reply_to;
        clock::time_point deadline{};
    };

    /// The fields of one message, as views into the arena (valid until the next push or clear).
    struct view {
        std::string_view service, route, payload, source, gate_node, uid;
    };

    /// The arena bytes `m` would take (the queue's byte bound counts these).
    static std::size_t bytes_for(const outbound_message& m) noexcept {
        std::size_t n = m.service.size() + m.route.size() + m.payload.size() + m.source.size();
        if (m.client) n += m.client->gate_node.size() + m.client->uid.size();
        return n;
    }

    void push(const outbound_message& m) {
        entry e;
        e.at = bytes_.size();
        e.service = append(m.service);
        e.route = append(m.route);
        e.payload = append(m.payload);
        e.source = append(m.source);
        if (m.client) {
            e.has_origin = true;
            e.gate_node = append(m.client->gate_node);
            e.uid = append(m.client->uid);
            e.session_id = m.client->session_id;
        }
        e.one_way = m.one_way;
        e.reply_to = m.reply_to;
        e.deadline = m.deadline;
        entries_.push_back(e);
    }

    view fields(const entry& e) const noexcept {
        view v;
        const char* p = bytes_.data() + e.at;
        auto take = [&p](std::uint32_t n) {
            std::string_view s(p, n);
            p += n;
            return s;
        };
        v.service = take(e.service);
        v.route = take(e.route);
        v.payload = take(e.payload);
        v.source = take(e.source);
        v.gate_node = take(e.gate_node);
        v.uid = take(e.uid);
        return v;
    }

    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    std::size_t bytes() const noexcept { return bytes_.size(); }
    const entry& operator[](std::size_t i) const noexcept { return entries_[i]; }

    /// Forgets every message, keeping the memory for the next round (the queue's bounds cap it).
    void clear() noexcept {
        entries_.clear();
        bytes_.clear();
    }
    /// When empty, gives back memory a burst left behind (the sender calls it when its link
    /// goes idle, not between rounds of a burst, where it would only be allocated again).
    void trim() noexcept {
        if (!entries_.empty()) return;
        if (bytes_.capacity() > keep_bytes) std::string().swap(bytes_);
        if (entries_.capacity() * sizeof(entry) > keep_bytes) std::vector<entry>().swap(entries_);
    }
    void swap(send_queue& o) noexcept {
        entries_.swap(o.entries_);
        bytes_.swap(o.bytes_);
    }

  private:
    static constexpr std::size_t keep_bytes = 1024 * 1024;

    std::uint32_t append(std::string_view s) {
        bytes_.append(s);
        return static_cast<std::uint32_t>(s.size());
    }

    std::vector<entry> entries_;
    std::string bytes_;
};

}  // namespace hearth::cluster::detail
