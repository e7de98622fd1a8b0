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

    std::optional<rpc::error> send(outbound_message&& m) override {
        auto it = peers_.find(m.node);
        if (it == peers_.end())
            return rpc::error{rpc::errc::unreachable, "No node '" + m.node + "' in this loopback."};
        if (overloaded_) return rpc::error{rpc::errc::overloaded, "The loopback queue is full."};
        node::inbound_request r;
        r.service = std::move(m.service);
        r.route = std::move(m.route);
        r.codec = codec();
        r.payload = std::move(m.payload);
        r.context.source = std::move(m.source);
        r.context.client = std::move(m.client);
        r.deadline = m.deadline;
        if (!m.one_way) {
            node* caller = &self_;
            auto to = m.reply_to;
            r.reply = [caller, to](remote_outcome o) {
                caller->deliver_reply(to, std::move(o));
            };
        }
        it->second->dispatch_inbound(std::move(r));
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
