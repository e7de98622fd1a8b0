#pragma once
// A worker's inbox (runtime internals: users reach a worker through its executor): messages from any thread,
// run in arrival order on the worker's thread.

#include <atomic>

#include "framework/asio.hpp"
#include "framework/detail/message.hpp"

namespace hearth {
class worker;
}

namespace hearth::detail {

/// Multi-producer, single-consumer queue bound to one io_context. A push that finds the queue
/// idle posts one drain to the io_context; the drain runs every message queued by then as one
/// batch. Posting once per batch instead of once per message is what makes cross-worker
/// messaging cheap (DESIGN.md section 2).
///
/// Pushes from other threads go through an intrusive lock-free queue (Vyukov's MPSC: one
/// atomic exchange per push, FIFO per producer). Pushes from the owning thread go to a plain
/// list that the same drain picks up. Ordering is FIFO per producer thread, which is all the
/// ordering Hearth promises.
class mailbox {
  public:
    mailbox(asio::io_context& ctx, worker& owner);
    mailbox(const mailbox&) = delete;
    mailbox& operator=(const mailbox&) = delete;
    ~mailbox();

    /// Any thread. Takes ownership.
    void push(detail::message* m);
    /// Pushes a whole list at once (one atomic exchange); any thread. Takes ownership.
    void push_all(detail::message_list& list);
    /// The owning worker's thread only. Takes ownership.
    void push_local(detail::message* m);

    /// Deletes every queued message without running it (node teardown, workers stopped).
    void discard();

  private:
    /// The stub node of the lock-free queue; never run.
    struct stub final : detail::message {
        void run(worker&) override {}
    };

    detail::message* pop_remote() noexcept;
    void drain_remote();
    void drain_local();
    void run_one(detail::message* m);

    asio::io_context& ctx_;
    worker& owner_;

    // Lock-free MPSC queue: producers exchange tail_, the consumer follows head_.
    alignas(64) std::atomic<detail::message*> tail_;
    std::atomic<bool> remote_scheduled_{false};
    alignas(64) detail::message* head_;
    stub stub_;

    detail::message_list local_;  // owner thread only
    bool local_scheduled_ = false;
};

}  // namespace hearth::detail
