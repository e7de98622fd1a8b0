#pragma once
// A worker: one thread, one io_context, one mailbox. Services and sessions are pinned to one.
//
// This is the runtime seam for modules built on the framework (the session module posts to a
// session's worker and counts on its thread); game code needs none of it: a service reaches its
// worker through service::executor(), and the mailbox is private (framework/detail/mailbox.hpp).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "framework/asio.hpp"
#include "framework/detail/mailbox.hpp"
#include "framework/detail/message.hpp"
#include "framework/detail/pending_calls.hpp"
#include "rpc/error.hpp"

namespace hearth {

class node;
class service;

namespace detail {
class inbound;
struct service_registry;
}  // namespace detail

namespace detail {
/// Adds `n` to a counter that has a single writer (the worker's thread): a relaxed load and
/// store, no locked instruction. Readers on other threads use relaxed loads.
inline void single_writer_add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
}  // namespace detail

/// Counters a worker keeps for itself (detail::single_writer_add); read from other threads
/// with relaxed loads.

struct worker_stats {
    /// Upper bounds (seconds) of the call latency histogram buckets; one more bucket is +Inf.
    static constexpr std::array<double, 14> latency_bounds{
        0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1};
    std::atomic<std::uint64_t> calls_sent{0};
    /// Completed calls by outcome: index 0 is success, index i is rpc::errc(i).
    std::array<std::atomic<std::uint64_t>, rpc::errc_count + 1> call_outcomes{};
    /// Latency of one call in 16 (sampling keeps two clock reads off most calls).
    std::array<std::atomic<std::uint64_t>, latency_bounds.size() + 1> latency_buckets{};
    std::atomic<std::uint64_t> latency_sum_ns{0};
    std::atomic<std::uint64_t> latency_count{0};
    std::uint32_t sample_tick = 0;  // worker thread only
    std::atomic<std::uint64_t> messages_handled{0};
    std::atomic<std::uint64_t> late_replies{0};
    std::atomic<std::uint64_t> handler_failures{0};
    /// Replies to clients' calls sent along the node's client reply route (client_replies.hpp).
    std::atomic<std::uint64_t> client_replies_via_gate{0};
    std::atomic<std::uint64_t> overloaded{0};
    std::atomic<std::uint64_t> not_found{0};
    std::atomic<std::uint64_t> runners{0};
};

class worker {
  public:
    worker(node& owner, unsigned index);
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;
    ~worker();

    node& owner() noexcept { return owner_; }
    unsigned index() const noexcept { return index_; }
    asio::io_context& context() noexcept { return ctx_; }
    asio::any_io_executor executor() noexcept { return ctx_.get_executor(); }

    /// The worker whose thread is running the caller, or nullptr on other threads.
    static worker* current() noexcept;
    bool in_this_thread() const noexcept { return current() == this; }

    /// Queues a message for this worker; any thread. Takes ownership. From another worker of
    /// the same node the message waits in that worker's outbox until its batch ends: FIFO per
    /// sending thread, as for every post.
    void post(detail::message* m);
    /// Like post(), but the message is in this worker's mailbox when the call returns (it skips
    /// the sending worker's outbox). For a message that must be ahead of anything the caller
    /// sends afterwards through any worker (the session module's pushes ahead of a reply sent
    /// through a third worker). FIFO with the caller's other post_now() messages; a post_now()
    /// may overtake the caller's earlier post() messages still in its outbox. Any thread.
    void post_now(detail::message* m);
    template <class F>
    void post_function_now(F f);
    /// Runs `f(worker&)` on this worker's thread, in mailbox order; any thread.
    template <class F>
    void post_function(F f);

    detail::pending_calls& calls() noexcept { return calls_; }
    const worker_stats& stats() const noexcept { return stats_; }
    worker_stats& stats() noexcept { return stats_; }

    /// Looks a local service up by name through this worker's copy of the node's registry.
    /// Worker thread only.
    service* find_service(std::string_view name);

    /// Hands a delivered message to a runner: the message's handler starts now if a runner is
    /// free, in arrival order in any case. Worker thread only.
    void schedule(detail::inbound* m);
    /// Queues a message for the runner that is running now (it takes it when its current
    /// handler ends). Worker thread only, from inside a handler's runner.
    void schedule_next(detail::inbound* m);

    /// While a batch_scope is open, mailbox accounting for started handlers is collected and
    /// applied when the outermost scope closes: one atomic update per service per batch
    /// instead of one per message (the counter is shared with the senders' threads).
    class batch_scope {
      public:
        explicit batch_scope(worker& w) noexcept : w_(w) { ++w_.batch_depth_; }
        ~batch_scope() {
            if (--w_.batch_depth_ == 0) {
                w_.flush_releases();
                w_.flush_outboxes();
            }
        }
        batch_scope(const batch_scope&) = delete;
        batch_scope& operator=(const batch_scope&) = delete;

      private:
        worker& w_;
    };
    /// Mailbox drains start the handlers of what they delivered when they end.
    class pump_at_exit {
      public:
        explicit pump_at_exit(worker& w) noexcept : w_(w) {}
        ~pump_at_exit() { w_.pump(); }
        pump_at_exit(const pump_at_exit&) = delete;
        pump_at_exit& operator=(const pump_at_exit&) = delete;

      private:
        worker& w_;
    };
    /// A handler of `s` started: its mailbox place frees now or at the end of the batch.
    void release_mailbox_place(service& s) noexcept;

    /// Records a finished call made from this worker (worker thread only).
    void record_call(int outcome, clock::time_point started) noexcept;
    /// True once every 16 calls: time this one.
    bool sample_call() noexcept { return (++stats_.sample_tick & 15) == 0; }

    // Lifecycle, driven by the node.
    void start_thread();
    void request_stop() noexcept;
    void join();
    /// Destroys everything still suspended on this worker (after join).
    void teardown() noexcept;

  private:
    struct runner;
    awaitable<void> run_loop(runner* r);
    void pump() noexcept;
    void spawn_runner();
    void resume(runner* r);

    node& owner_;
    const unsigned index_;
    asio::io_context ctx_{1};
    detail::mailbox mailbox_{ctx_, *this};
    detail::pending_calls calls_{ctx_};
    worker_stats stats_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};

    // Runners: long-lived coroutines that run handlers. Starting a handler costs a resume of
    // a parked runner rather than a co_spawn (several allocations, a post); a runner whose
    // handler suspends stays with it, and the next message goes to another runner.
    detail::message_list ready_;
    std::vector<std::unique_ptr<runner>> runners_;
    std::vector<runner*> idle_;
    bool pumping_ = false;
    int batch_depth_ = 0;
    std::vector<service*> releases_;  // services with places to release at the end of a batch
    void flush_releases() noexcept;

    // Outboxes: messages from this worker's thread to the other workers of its node wait here
    // until the end of the current batch (or a posted flush), then go out as one chain per
    // destination: one atomic exchange per batch instead of one per message. Every message
    // from this thread to a given worker goes through its outbox, so FIFO order per sender
    // is kept.
    std::vector<detail::message_list> outboxes_;
    bool flush_posted_ = false;
    void flush_outboxes();
    void post_from_peer(worker& dest, detail::message* m);

    std::shared_ptr<const detail::service_registry> registry_;
    std::uint64_t registry_version_ = 0;
    const std::string* last_service_name_ = nullptr;
    service* last_service_ = nullptr;
};

namespace detail {
template <class F>
class function_message final : public message {
  public:
    explicit function_message(F f) : f_(std::move(f)) {}
    void run(worker& w) override {
        std::unique_ptr<function_message> self(this);
        f_(w);
    }

  private:
    F f_;
};
}  // namespace detail

template <class F>
void worker::post_function(F f) {
    post(new detail::function_message<F>(std::move(f)));
}

template <class F>
void worker::post_function_now(F f) {
    post_now(new detail::function_message<F>(std::move(f)));
}

}  // namespace hearth
