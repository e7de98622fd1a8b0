#include "framework/detail/remote_batch.hpp"

#include <cstring>
#include <new>

#include "framework/detail/call_errors.hpp"
#include "framework/service.hpp"
#include "framework/worker.hpp"

namespace hearth::detail {
namespace {

constexpr std::size_t round_up(std::size_t n, std::size_t align) noexcept {
    return (n + align - 1) / align * align;
}

std::string caller_address(std::string_view source, std::string_view source_node) {
    if (source.empty() || source_node.empty()) return std::string(source);
    std::string out;
    out.reserve(source.size() + 1 + source_node.size());
    out.append(source).append(1, '@').append(source_node);
    return out;
}

}  // namespace

// ---- remote_item ---------------------------------------------------------------------------

remote_item::remote_item(remote_batch& batch, service& target, std::string_view route,
                         std::string_view payload, call_context ctx, const node::inbound_entry& e,
                         bool from_client_gate)
    : inbound(target, route, std::move(ctx)),
      batch_(batch),
      payload_(payload),
      deadline_(e.deadline),
      call_id_(e.call_id),
      reply_worker_(e.reply_worker),
      one_way_(e.one_way),
      from_client_gate_(from_client_gate) {}

awaitable<void> remote_item::execute(worker& w) {
    handler_base* h = service_access::find_handler(target_, route_);
    if (!h) {
        reject(w, missing_handler());
        return {};
    }
    if (deadline_ != clock::time_point{} && clock::now() >= deadline_) {
        // The caller has given up already: running the handler would only waste work.
        reject(w, call_errors::deadline_passed());
        return {};
    }
    worker_ = &w;
    if (from_client_gate_ && !one_way_) client_effects_ = target_.node().remote_client_effects();
    return h->run_encoded(context_, batch_.codec(), payload_, *this);
}

void remote_item::answer(remote_outcome&& o) {
    if (one_way_) return;
    auto* r = batch_.replies();
    if (!r) return;
    // A client's call from its gate's node, whose handler (or anything else on this node)
    // sent messages towards gates on other nodes meanwhile: the reply goes the way those
    // messages went, so that it cannot overtake them (framework/client_replies.hpp). Only
    // when the caller is the gate's node: a nested call that carries the client's origin from
    // another node waits for its reply there, not at the gate.
    if (worker_ && from_client_gate_) {
        node& self = target_.node();
        if (self.remote_client_effects() != client_effects_)
            if (auto route = self.current_client_reply_route();
                route && route(self, *context_.client, reply_worker_, call_id_, o)) {
                single_writer_add(worker_->stats().client_replies_via_gate);
                return;
            }
    }
    r->reply(call_id_, reply_worker_, std::move(o));
}

void remote_item::reject(worker&, rpc::error e) {
    answer(remote_outcome{std::move(e), batch_.codec(), {}});
}

void remote_item::reply(encoded_outcome&& out) {
    answer(remote_outcome{std::move(out.error), batch_.codec(), std::move(out.payload)});
}

rpc::error remote_item::failed(std::exception_ptr e) {
    return handler_failure(*worker_, e);
}

void remote_item::dispose() noexcept {
    remote_batch& b = batch_;
    this->~remote_item();
    b.release();
}

// ---- remote_batch --------------------------------------------------------------------------

remote_batch* remote_batch::create(service& target, const node::inbound_batch& b, std::size_t count) {
    // Layout: [remote_batch][remote_item x count][route and payload bytes]. Consecutive
    // requests of one method (the common burst) share one copy of the route.
    const std::size_t items_at = round_up(sizeof(remote_batch), alignof(remote_item));
    const std::size_t bytes_at = items_at + count * sizeof(remote_item);
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const auto& e = b.entries[i];
        if (i == 0 || e.route != b.entries[i - 1].route) bytes += e.route.size();
        bytes += e.payload.size();
    }
    char* block = static_cast<char*>(::operator new(bytes_at + bytes));
    auto* items = reinterpret_cast<remote_item*>(block + items_at);
    auto* batch = new (block) remote_batch(b.codec, b.replies, items, count);
    char* data = block + bytes_at;
    std::string_view route;
    std::size_t built = 0;
    try {
        for (; built < count; ++built) {
            const auto& e = b.entries[built];
            if (built == 0 || e.route != b.entries[built - 1].route) {
                std::memcpy(data, e.route.data(), e.route.size());
                route = std::string_view(data, e.route.size());
                data += e.route.size();
            }
            std::memcpy(data, e.payload.data(), e.payload.size());
            const std::string_view payload(data, e.payload.size());
            data += e.payload.size();
            new (&items[built])
                remote_item(*batch, target, route, payload,
                            call_context{caller_address(e.source, b.source_node), e.client}, e,
                            e.client && !b.source_node.empty() && e.client->gate_node == b.source_node);
        }
    } catch (...) {
        for (std::size_t i = 0; i < built; ++i) items[i].~remote_item();
        batch->~remote_batch();
        ::operator delete(block);
        throw;
    }
    return batch;
}

void remote_batch::run(worker& w) {
    for (std::size_t i = 0; i < count_; ++i) items_[i].run(w);  // inbound::run delivers it
    release();
}

void remote_batch::dispose() noexcept {
    for (std::size_t i = 0; i < count_; ++i) items_[i].~remote_item();
    shares_.store(1, std::memory_order_relaxed);
    release();
}

void remote_batch::release() noexcept {
    if (shares_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    void* block = this;
    this->~remote_batch();
    ::operator delete(block);
}

}  // namespace hearth::detail
