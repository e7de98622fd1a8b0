#pragma once
// A remote_transport that connects nodes of one process through their encoded payloads: the
// framework's remote path (encode, dispatch_inbound, deliver_reply, decode) without sockets.

#include <map>
#include <mutex>

#include "framework/node.hpp"

namespace hearth::testing {

class loopback_transport final : public remote_transport {
  public:
    explicit loopback_transport(node& self) : self_(self) {}

    void connect(node& peer) { peers_[peer.name()] = &peer; }
    void set_overloaded(bool v) { overloaded_ = v; }

    rpc::codec codec() const noexcept override { return rpc::codec::json; }

    std::optional<rpc::error> send(const outbound_message& m) override {
        auto it = peers_.find(std::string(m.node));
        if (it == peers_.end())
            return rpc::error{rpc::errc::unreachable,
                              "No node '" + std::string(m.node) + "' in this loopback."};
        if (overloaded_) return rpc::error{rpc::errc::overloaded, "The loopback queue is full."};
        node::inbound_entry e;
        e.route = m.route;
        e.payload = m.payload;
        e.source = m.source;
        if (m.client) e.client = std::make_shared<client_origin>(*m.client);
        e.deadline = m.deadline;
        e.one_way = m.one_way;
        e.call_id = m.reply_to.call_id;
        e.reply_worker = m.reply_to.worker;
        node::inbound_batch b;
        b.service = m.service;
        b.codec = codec();
        b.entries = std::span<node::inbound_entry>(&e, 1);
        b.replies = transport_host(self_).replies_to_this_node();  // the caller's node
        transport_host(*it->second).dispatch_inbound(std::move(b));
        return std::nullopt;
    }

    std::vector<std::string> nodes_hosting(std::string_view service) const override {
        std::vector<std::string> out;
        for (auto& [name, n] : peers_)
            if (n->find_service(service)) out.push_back(name);
        return out;
    }

  private:
    node& self_;
    std::map<std::string, node*> peers_;
    bool overloaded_ = false;
};

}  // namespace hearth::testing
