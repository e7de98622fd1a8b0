#pragma once
// The unit a worker's mailbox carries.

#include <atomic>
#include <cstddef>
namespace hearth {
class worker;
}

namespace hearth::detail {

/// Work posted to a worker. run() is called exactly once, on the destination worker's thread,
/// and takes ownership (it disposes of the message or hands it on). A message that is never
/// run (the node stopped first) is disposed of by whichever queue holds it.
class message {
  public:
    virtual ~message() = default;
    virtual void run(worker& w) = 0;
    /// Ends the message's life. Most messages are heap objects of their own; messages that
    /// live inside a shared block (an inbound batch from another node) give their share back.
    virtual void dispose() noexcept { delete this; }

    /// Intrusive link, owned by whichever queue holds the message. Atomic for the mailbox's
    /// lock-free queue; plain lists use relaxed accesses, which compile to plain moves.
    std::atomic<message*> next_{nullptr};
};

/// For std::unique_ptr<message-type, disposer>.
struct disposer {
    void operator()(message* m) const noexcept { m->dispose(); }
};

/// A FIFO of messages linked through message::next_. Not thread-safe.
class message_list {
  public:
    message_list() = default;
    message_list(const message_list&) = delete;
    message_list& operator=(const message_list&) = delete;
    message_list(message_list&& o) noexcept : head_(o.head_), tail_(o.tail_), size_(o.size_) {
        o.head_ = o.tail_ = nullptr;
        o.size_ = 0;
    }
    ~message_list() { clear(); }

    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept { return size_; }

    void push_back(message* m) noexcept {
        m->next_.store(nullptr, std::memory_order_relaxed);
        if (tail_)
            tail_->next_.store(m, std::memory_order_relaxed);
        else
            head_ = m;
        tail_ = m;
        ++size_;
    }
    message* pop_front() noexcept {
        message* m = head_;
        if (m) {
            head_ = m->next_.load(std::memory_order_relaxed);
            if (!head_) tail_ = nullptr;
            m->next_.store(nullptr, std::memory_order_relaxed);
            --size_;
        }
        return m;
    }
    /// Takes every message of `o`, appending them in order.
    void splice_back(message_list& o) noexcept {
        if (o.empty()) return;
        if (tail_)
            tail_->next_.store(o.head_, std::memory_order_relaxed);
        else
            head_ = o.head_;
        tail_ = o.tail_;
        size_ += o.size_;
        o.head_ = o.tail_ = nullptr;
        o.size_ = 0;
    }
    message* front() const noexcept { return head_; }
    message* back() const noexcept { return tail_; }
    /// Forgets the messages without deleting them (ownership went elsewhere).
    void release() noexcept {
        head_ = tail_ = nullptr;
        size_ = 0;
    }

    void clear() noexcept {
        while (message* m = pop_front()) m->dispose();
    }

  private:
    message* head_ = nullptr;
    message* tail_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace hearth::detail
