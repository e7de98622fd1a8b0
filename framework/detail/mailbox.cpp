#include "framework/detail/mailbox.hpp"

#include <boost/asio/post.hpp>

#include "framework/worker.hpp"

namespace hearth::detail {

mailbox::mailbox(asio::io_context& ctx, worker& owner)
    : ctx_(ctx), owner_(owner), tail_(&stub_), head_(&stub_) {}

mailbox::~mailbox() {
    discard();
}

void mailbox::push_all(detail::message_list& list) {
    if (list.empty()) return;
    detail::message* first = list.front();
    detail::message* last = list.back();
    list.release();
    last->next_.store(nullptr, std::memory_order_relaxed);
    // The chain is already linked; publishing it is the same two steps as for one node.
    detail::message* prev = tail_.exchange(last, std::memory_order_seq_cst);
    prev->next_.store(first, std::memory_order_release);
    if (remote_scheduled_.load(std::memory_order_seq_cst)) return;
    if (!remote_scheduled_.exchange(true, std::memory_order_acq_rel))
        asio::post(ctx_, [this] { drain_remote(); });
}

void mailbox::push(detail::message* m) {
    m->next_.store(nullptr, std::memory_order_relaxed);
    // Vyukov: publish the node as the new tail, then link the previous tail to it. Between the
    // two steps the consumer sees a gap and waits for it (pop_remote returns nullptr).
    detail::message* prev = tail_.exchange(m, std::memory_order_seq_cst);
    prev->next_.store(m, std::memory_order_release);
    // Most pushes find a drain already scheduled: read the flag before writing it, so that the
    // cache line stays shared. The seq_cst pair (tail exchange above, flag load here, against
    // the consumer's flag store and tail load) guarantees the consumer sees this message or
    // this producer sees the flag cleared.
    if (remote_scheduled_.load(std::memory_order_seq_cst)) return;
    if (!remote_scheduled_.exchange(true, std::memory_order_acq_rel))
        asio::post(ctx_, [this] { drain_remote(); });
}

detail::message* mailbox::pop_remote() noexcept {
    auto next_of = [](detail::message* n) {
        return n->next_.load(std::memory_order_acquire);
    };
    detail::message* head = head_;
    detail::message* next = next_of(head);
    if (head == &stub_) {
        if (!next) return nullptr;
        head_ = next;
        head = next;
        next = next_of(next);
    }
    if (next) {
        head_ = next;
        return head;
    }
    if (head != tail_.load(std::memory_order_acquire)) return nullptr;  // a producer is mid-push
    // head is the last node: put the stub behind it so that head can be handed out.
    stub_.next_.store(nullptr, std::memory_order_relaxed);
    detail::message* prev = tail_.exchange(&stub_, std::memory_order_acq_rel);
    prev->next_.store(&stub_, std::memory_order_release);
    next = next_of(head);
    if (next) {
        head_ = next;
        return head;
    }
    return nullptr;
}

void mailbox::drain_remote() {
    worker::batch_scope batch(owner_);
    worker::pump_at_exit pump(owner_);
    // Bounded batch, then yield to sockets and timers; the flag protocol below guarantees that
    // a message pushed at any moment is drained by this or a later posted drain.
    for (int i = 0; i < 4096; ++i) {
        detail::message* m = pop_remote();
        if (!m) {
            remote_scheduled_.store(false, std::memory_order_seq_cst);
            // A producer may have pushed after our last pop but seen the flag still set.
            if (tail_.load(std::memory_order_seq_cst) == head_ && head_ == &stub_) return;
            if (remote_scheduled_.exchange(true, std::memory_order_acq_rel))
                return;  // that producer posted a drain itself
            continue;
        }
        run_one(m);
    }
    asio::post(ctx_, [this] { drain_remote(); });
}

void mailbox::push_local(detail::message* m) {
    local_.push_back(m);
    if (!local_scheduled_) {
        local_scheduled_ = true;
        asio::post(ctx_, [this] { drain_local(); });
    }
}

void mailbox::drain_local() {
    worker::batch_scope batch(owner_);
    worker::pump_at_exit pump(owner_);
    // Messages pushed while the drain runs (a reply to a call made from this worker, say) are
    // run by the same drain, which saves a post per message; after a bounded number of rounds
    // the drain yields so that a handler that keeps messaging itself cannot starve sockets
    // and timers on this worker.
    for (int round = 0; round < 64 && !local_.empty(); ++round) {
        detail::message_list batch;
        batch.splice_back(local_);
        while (detail::message* m = batch.pop_front()) run_one(m);
    }
    if (local_.empty())
        local_scheduled_ = false;
    else
        asio::post(ctx_, [this] { drain_local(); });
}

void mailbox::run_one(detail::message* m) {
    m->run(owner_);
}

void mailbox::discard() {
    while (detail::message* m = pop_remote()) m->dispose();
    local_.clear();
}

}  // namespace hearth::detail
