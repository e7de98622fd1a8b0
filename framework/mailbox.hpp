#pragma once
// A worker's inbox: messages from any thread, run in arrival order on the worker's thread.

#include <atomic>
#include <mutex>

#include "framework/asio.hpp"
#include "framework/detail/message.hpp"

namespace hearth {

/// Multi-producer, single-consumer queue bound to one io_context. A push that finds the queue
/// idle posts one drain to the io_context; the drain runs every message queued by then as one
/// batch. Posting once per batch instead of once per message is what makes cross-worker
/// messaging cheap (DESIGN.md section 2).
///
/// Messages pushed from the owning thread go to a second, lock-free list; both lists keep
/// FIFO order per producer thread, which is all the ordering Hearth promises.
class mailbox {
public:
    mailbox(asio::io_context& ctx, worker& owner) : ctx_(ctx), owner_(owner) {}
    mailbox(const mailbox&) = delete;
    mailbox& operator=(const mailbox&) = delete;
    ~mailbox() = default;  // undelivered messages are deleted by the lists

    /// Any thread. Takes ownership.
    void push(detail::message* m);
    /// The owning worker's thread only. Takes ownership.
    void push_local(detail::message* m);

    /// Messages waiting (approximate when read from another thread).
    std::size_t depth() const noexcept { return depth_.load(std::memory_order_relaxed); }

    /// Deletes every queued message without running it (node teardown).
    void discard();

private:
    void drain_remote();
    void drain_local();
    void run_all(detail::message_list& batch);

    asio::io_context& ctx_;
    worker& owner_;

    std::mutex mutex_;
    detail::message_list remote_;  // guarded by mutex_
    bool remote_scheduled_ = false;  // guarded by mutex_

    detail::message_list local_;  // owner thread only
    bool local_scheduled_ = false;

    std::atomic<std::size_t> depth_{0};
};

}  // namespace hearth
