#pragma once
// The machinery behind call() and notify() (framework/call.hpp): local messages, replies, the
// typed wait, and the remote path. Included by framework/impl/call.hpp; not a public header.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "framework/address.hpp"
#include "framework/asio.hpp"
#include "framework/detail/call_errors.hpp"
#include "framework/detail/handler.hpp"
#include "framework/detail/inbound.hpp"
#include "framework/detail/pending_calls.hpp"
#include "framework/node.hpp"
#include "framework/service.hpp"
#include "framework/worker.hpp"
#include "rpc/codec.hpp"
#include "rpc/method.hpp"

namespace hearth::detail {

/// A one-way message for the transport; views into the caller's data, valid for send().
/// Calls set one_way = false, reply_to and deadline on top.
inline outbound_message outbound(const address_view& target, std::string_view route, std::string_view payload,
                                 const call_context& ctx) {
    outbound_message out;
    out.node = target.node;
    out.service = target.service;
    out.route = route;
    out.payload = payload;
    out.one_way = true;
    out.source = ctx.source;
    out.client = ctx.client.get();
    return out;
}

/// The calling thread's buffer for a request on its way to the transport, which copies it:
/// no allocation per remote call or notify once it has grown. Not reentrant; never keep one
/// across a suspension.
class wire_buffer {
  public:
    wire_buffer() : bytes_(storage()) { bytes_.clear(); }
    ~wire_buffer() {
        if (bytes_.capacity() > 1024 * 1024) std::string().swap(bytes_);  // after one huge request
    }
    wire_buffer(const wire_buffer&) = delete;
    wire_buffer& operator=(const wire_buffer&) = delete;
    std::string& bytes() noexcept { return bytes_; }

  private:
    static std::string& storage() {
        thread_local std::string s;
        return s;
    }
    std::string& bytes_;
};

/// Suspends the calling coroutine until pending call `id` completes (reply, error, timeout or
/// cancellation). Cancelling the awaiting operation (e.g. `call(...) || timer`) completes the
/// call with `cancelled`.
awaitable<void> wait_for_reply(worker& w, std::uint64_t id);

template <class Resp>
class typed_sink final : public reply_sink {
  public:
    void set(result<Resp>&& r) { out.emplace(std::move(r)); }
    void set_error(rpc::error e) override { out.emplace(std::move(e)); }
    void set_encoded(rpc::codec c, std::string_view bytes) override {
        if constexpr (std::is_void_v<Resp>)
            out.emplace();
        else
            out.emplace(rpc::decode<Resp>(c, bytes));
    }
    result<Resp> take() {
        if (!out) return call_errors::no_outcome();
        return std::move(*out);
    }
    std::optional<result<Resp>> out;
};

/// A local call's reply, run on the caller's worker.
template <class Resp>
class local_reply final : public message {
  public:
    local_reply(std::uint64_t id, result<Resp>&& r) : id_(id), result_(std::move(r)) {}
    void run(worker& w) override {
        std::unique_ptr<local_reply> self(this);
        if (auto c = w.calls().take(id_)) {
            static_cast<typed_sink<Resp>*>(c->sink)->set(std::move(result_));
            std::move(c->handler)();
        } else {
            single_writer_add(w.stats().late_replies);
        }
    }

  private:
    std::uint64_t id_;
    result<Resp> result_;
};

/// A call or notify between services of one node: the request object moves, nothing is
/// serialized. A notify has no reply address.
template <class Req, class Resp>
class local_request final : public inbound, public reply_target<Resp> {
  public:
    local_request(service& target, std::string_view route, call_context ctx, Req&& req, worker* reply_worker,
                  std::uint64_t call_id)
        : inbound(target, route, std::move(ctx)),
          req_(std::move(req)),
          reply_worker_(reply_worker),
          call_id_(call_id) {}

    awaitable<void> execute(worker& w) override {
        worker_ = &w;
        handler_base* h = service_access::find_handler(target_, route_);
        if (!h) {
            reply(missing_handler());
            return {};
        }
        if (h->tag() != &type_tag_v<Req, Resp>) {
            reply(type_mismatch());
            return {};
        }
        return static_cast<typed_handler<Req, Resp>*>(h)->run_local(context_, std::move(req_), *this);
    }

    void reject(worker& w, rpc::error e) override {
        worker_ = &w;
        reply(result<Resp>(std::move(e)));
    }

    void reply(result<Resp>&& r) override {
        if (!reply_worker_) return;  // notify
        reply_worker_->post(new local_reply<Resp>(call_id_, std::move(r)));
    }
    rpc::error failed(std::exception_ptr e) override { return handler_failure(*worker_, e); }

  private:
    Req req_;
    worker* reply_worker_;
    worker* worker_ = nullptr;
    std::uint64_t call_id_;
};

/// Resolves, sends and awaits one call (the contract is call()'s, framework/call.hpp).
/// `source` is the caller's address or empty. Must run on a worker thread.
template <class Req, class Resp>
awaitable<result<Resp>> do_call(const rpc::method<Req, Resp>& m, std::string_view address, Req req,
                                std::chrono::nanoseconds timeout, std::string source,
                                std::shared_ptr<const client_origin> client) {
    static_assert(!std::is_void_v<Resp>, "A one-way method (Resp = void) is sent with notify().");
    worker* w = worker::current();
    if (!w) throw std::logic_error("hearth::call must be awaited on a worker of a running node.");
    auto target = parse_address(address);
    if (!target) co_return call_errors::invalid_address(address);

    node& self = w->owner();
    const clock::time_point started = w->sample_call() ? clock::now() : clock::time_point{};
    call_context ctx{std::move(source), std::move(client)};
    typed_sink<Resp> sink;
    std::uint64_t id = 0;

    if (target->is_local_to(self.name())) {
        service* s = w->find_service(target->service);
        if (!s) {
            single_writer_add(w->stats().not_found);
            co_return call_errors::no_service(target->service, self.name());
        }
        if (!service_access::try_reserve(*s)) {
            single_writer_add(w->stats().overloaded);
            co_return call_errors::mailbox_full(s->name());
        }
        id = w->calls().reserve(&sink, timeout);
        s->home().post(new local_request<Req, Resp>(*s, m.route, std::move(ctx), std::move(req), w, id));
    } else {
        remote_transport* t = self.transport_ptr();
        if (!t) co_return call_errors::not_in_cluster(target->node);
        id = w->calls().reserve(&sink, timeout);
        wire_buffer wire;
        rpc::encode_to(t->codec(), req, wire.bytes());
        auto out = outbound(*target, m.route, wire.bytes(), ctx);
        out.one_way = false;
        out.reply_to = reply_address{w->index(), id};
        out.deadline = clock::now() + timeout;
        if (auto err = t->send(out)) {
            w->calls().release(id);
            co_return std::move(*err);
        }
    }
    single_writer_add(w->stats().calls_sent);
    co_await wait_for_reply(*w, id);
    auto r = sink.take();
    w->record_call(r ? 0 : static_cast<int>(r.code()), started);
    co_return r;
}

/// The remote half of do_notify(): encodes the request and hands it to the transport. Kept
/// out of line so the local path stays small.
template <class Req>
[[gnu::noinline]] result<void> notify_remote(node& self, const address_view& target, std::string_view route,
                                             const Req& req, const call_context& ctx) {
    remote_transport* t = self.transport_ptr();
    if (!t) return call_errors::not_in_cluster(target.node);
    wire_buffer wire;
    rpc::encode_to(t->codec(), req, wire.bytes());
    if (auto err = t->send(outbound(target, route, wire.bytes(), ctx))) return std::move(*err);
    return {};
}

/// Sends a notify for node `self` from any thread of the process; the outcome says whether it
/// was accepted (not whether it was handled).
template <class Req, class Resp>
result<void> do_notify(node& self, const rpc::method<Req, Resp>& m, std::string_view address, Req&& req,
                       std::string source, std::shared_ptr<const client_origin> client) {
    auto target = parse_address(address);
    if (!target) return call_errors::invalid_address(address);
    call_context ctx{std::move(source), std::move(client)};
    if (target->is_local_to(self.name())) {
        service* s = self.find_service(target->service);
        if (!s) return call_errors::no_service(target->service, self.name());
        if (!service_access::try_reserve(*s)) return call_errors::mailbox_full(s->name());
        s->home().post(new local_request<Req, Resp>(*s, m.route, std::move(ctx), std::move(req), nullptr, 0));
        return {};
    }
    return notify_remote(self, *target, m.route, req, ctx);
}

}  // namespace hearth::detail
