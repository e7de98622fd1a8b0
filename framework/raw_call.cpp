#include "framework/raw_call.hpp"

#include "framework/address.hpp"
#include "framework/detail/call_errors.hpp"
#include "framework/node.hpp"
#include "framework/service.hpp"
#include "framework/worker.hpp"
#include "rpc/method.hpp"

namespace hearth {
namespace {

namespace call_errors = detail::call_errors;

/// Re-encodes a payload from one codec to another (identity when they are the same).
result<std::string> transcode(rpc::codec from, rpc::codec to, std::string payload) {
    if (from == to) return payload;
    auto doc = rpc::decode_json(from, payload);
    if (!doc) return std::move(doc).error();
    return rpc::encode_json(to, *doc);
}

class encoded_sink final : public detail::reply_sink {
  public:
    explicit encoded_sink(rpc::codec want) : want_(want) {}
    void set_error(rpc::error e) override { out.emplace(std::move(e)); }
    void set_encoded(rpc::codec c, std::string_view bytes) override {
        out.emplace(transcode(c, want_, std::string(bytes)));
    }
    std::optional<result<std::string>> out;

  private:
    rpc::codec want_;
};

/// The coroutine behind call_encoded(). Its parameters have no default arguments on purpose:
/// GCC 12 mis-copies a defaulted class-type parameter into the coroutine frame (an SSO string
/// inside it ends up pointing into the caller's frame).
awaitable<result<std::string>> call_encoded_impl(std::string_view address, std::string_view route,
                                                 rpc::codec codec, std::string payload,
                                                 std::chrono::nanoseconds timeout, call_context ctx) {
    worker* w = worker::current();
    if (!w) throw std::logic_error("hearth::call_encoded must be awaited on a worker of a running node.");
    auto target = parse_address(address);
    if (!target) co_return call_errors::invalid_address(address);
    if (!rpc::valid_route(route)) co_return call_errors::invalid_route(route);
    node& self = w->owner();
    const clock::time_point started = w->sample_call() ? clock::now() : clock::time_point{};
    encoded_sink sink(codec);
    const std::uint64_t id = w->calls().reserve(&sink, timeout);

    if (target->is_local_to(self.name())) {
        node::inbound_entry e;
        e.route = route;
        e.payload = payload;
        e.source = ctx.source;
        e.client = std::move(ctx.client);
        e.one_way = false;
        e.call_id = id;
        e.reply_worker = w->index();
        node::inbound_batch b;
        b.service = target->service;
        b.codec = codec;
        b.entries = std::span<node::inbound_entry>(&e, 1);
        b.replies = transport_host(self).replies_to_this_node();
        transport_host(self).dispatch_inbound(
            std::move(b));  // immediate errors also arrive through deliver_reply
    } else {
        remote_transport* t = self.transport_ptr();
        if (!t) {
            w->calls().release(id);
            co_return call_errors::not_in_cluster(target->node);
        }
        auto wire = transcode(codec, t->codec(), std::move(payload));
        if (!wire) {
            w->calls().release(id);
            co_return std::move(wire).error();
        }
        auto out = detail::outbound(*target, route, *wire, ctx);
        out.one_way = false;
        out.reply_to = reply_address{w->index(), id};
        out.deadline = clock::now() + timeout;
        if (auto err = t->send(out)) {
            w->calls().release(id);
            co_return std::move(*err);
        }
    }
    detail::single_writer_add(w->stats().calls_sent);
    co_await detail::wait_for_reply(*w, id);
    if (!sink.out) sink.out.emplace(call_errors::no_outcome());
    w->record_call(*sink.out ? 0 : static_cast<int>(sink.out->code()), started);
    co_return std::move(*sink.out);
}

}  // namespace

awaitable<result<std::string>> call_encoded(std::string_view address, std::string_view route,
                                            rpc::codec codec, std::string payload,
                                            std::chrono::nanoseconds timeout, call_context ctx) {
    return call_encoded_impl(address, route, codec, std::move(payload), timeout, std::move(ctx));
}

awaitable<result<std::string>> call_encoded(std::string_view address, std::string_view route,
                                            rpc::codec codec, std::string payload,
                                            std::chrono::nanoseconds timeout) {
    return call_encoded_impl(address, route, codec, std::move(payload), timeout, call_context{});
}

result<void> notify_encoded(node& self, std::string_view address, std::string_view route, rpc::codec codec,
                            std::string payload, call_context ctx) {
    auto target = parse_address(address);
    if (!target) return call_errors::invalid_address(address);
    if (!rpc::valid_route(route)) return call_errors::invalid_route(route);
    if (target->is_local_to(self.name())) {
        service* s = self.find_service(target->service);
        if (!s) return call_errors::no_service(target->service, self.name());
        if (s->queued() >= s->mailbox_capacity()) return call_errors::mailbox_full(s->name());
        node::inbound_entry e;
        e.route = route;
        e.payload = payload;
        e.source = ctx.source;
        e.client = std::move(ctx.client);
        node::inbound_batch b;
        b.service = target->service;
        b.codec = codec;
        b.entries = std::span<node::inbound_entry>(&e, 1);
        transport_host(self).dispatch_inbound(std::move(b));
        return {};
    }
    remote_transport* t = self.transport_ptr();
    if (!t) return call_errors::not_in_cluster(target->node);
    auto wire = transcode(codec, t->codec(), std::move(payload));
    if (!wire) return std::move(wire).error();
    if (auto err = t->send(detail::outbound(*target, route, *wire, ctx))) return std::move(*err);
    return {};
}

}  // namespace hearth
