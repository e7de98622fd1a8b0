#include "framework/mailbox.hpp"

#include <boost/asio/post.hpp>

namespace hearth {

void mailbox::push(detail::message* m) {
    bool schedule = false;
    {
        std::lock_guard lock(mutex_);
        remote_.push_back(m);
        schedule = !remote_scheduled_;
        remote_scheduled_ = true;
    }
    depth_.fetch_add(1, std::memory_order_relaxed);
    if (schedule) asio::post(ctx_, [this] { drain_remote(); });
}

void mailbox::push_local(detail::message* m) {
    local_.push_back(m);
    depth_.fetch_add(1, std::memory_order_relaxed);
    if (!local_scheduled_) {
        local_scheduled_ = true;
        asio::post(ctx_, [this] { drain_local(); });
    }
}

void mailbox::drain_remote() {
    detail::message_list batch;
    {
        std::lock_guard lock(mutex_);
        batch.splice_back(remote_);
        remote_scheduled_ = false;
    }
    run_all(batch);
}

void mailbox::drain_local() {
    // Messages pushed while the drain runs (a reply to a call made from this worker, say) are
    // run by the same drain, which saves a post per message; after a bounded number of rounds
    // the drain yields so that a handler that keeps messaging itself cannot starve sockets
    // and timers on this worker.
    for (int round = 0; round < 64 && !local_.empty(); ++round) {
        detail::message_list batch;
        batch.splice_back(local_);
        run_all(batch);
    }
    if (local_.empty())
        local_scheduled_ = false;
    else
        asio::post(ctx_, [this] { drain_local(); });
}

void mailbox::run_all(detail::message_list& batch) {
    depth_.fetch_sub(batch.size(), std::memory_order_relaxed);
    while (detail::message* m = batch.pop_front()) m->run(owner_);
}

void mailbox::discard() {
    detail::message_list a, b;
    {
        std::lock_guard lock(mutex_);
        a.splice_back(remote_);
    }
    b.splice_back(local_);
    // the lists delete their messages as they go out of scope
}

}  // namespace hearth
