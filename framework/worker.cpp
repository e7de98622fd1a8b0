#include "framework/worker.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "framework/detail/inbound.hpp"
#include "framework/log.hpp"
#include "framework/node.hpp"
#include "framework/service.hpp"

namespace hearth {
namespace {
thread_local worker* current_worker = nullptr;

// A worker thread's event loop: io_context::run, with the bounded poll of node_config::spin
// before each sleep.
void run_events(asio::io_context& ctx, std::chrono::microseconds spin) {
    if (spin <= std::chrono::microseconds::zero()) {
        ctx.run();
        return;
    }
    while (!ctx.stopped()) {
        // Run what is ready; once nothing is, poll for up to `spin` before blocking.
        if (ctx.poll() > 0) continue;
        const auto until = clock::now() + spin;
        bool more = false;
        while (!more && !ctx.stopped() && clock::now() < until) more = ctx.poll_one() > 0;
        if (more || ctx.stopped()) continue;
        ctx.run_one();  // sleeps in epoll until the next event
    }
}
}  // namespace

/// A long-lived coroutine that runs handlers. While parked it is owned by `parked`; destroying
/// that handler destroys the coroutine (teardown).
struct worker::runner {
    std::optional<detail::resume_handler> parked;
    bool started = false;
};

worker::worker(node& owner, unsigned index) : owner_(owner), index_(index) {}

worker::~worker() {
    teardown();
}

worker* worker::current() noexcept {
    return current_worker;
}

void worker::post(detail::message* m) {
    worker* from = current_worker;
    if (from == this)
        mailbox_.push_local(m);
    else if (from && &from->owner_ == &owner_)
        from->post_from_peer(*this, m);
    else
        mailbox_.push(m);  // another thread, or a worker of another node in this process
}

void worker::post_now(detail::message* m) {
    if (current_worker == this)
        mailbox_.push_local(m);
    else
        mailbox_.push(m);
}

void worker::post_from_peer(worker& dest, detail::message* m) {
    if (outboxes_.empty()) outboxes_.resize(owner_.worker_count());
    outboxes_[dest.index_].push_back(m);
    if (batch_depth_ == 0 && !flush_posted_) {
        // Not inside a mailbox drain: flush once the current handler yields.
        flush_posted_ = true;
        asio::post(ctx_, [this] {
            flush_posted_ = false;
            flush_outboxes();
        });
    }
}

void worker::flush_outboxes() {
    for (std::size_t i = 0; i < outboxes_.size(); ++i)
        if (!outboxes_[i].empty()) owner_.worker_at(static_cast<unsigned>(i)).mailbox_.push_all(outboxes_[i]);
}

service* worker::find_service(std::string_view name) {
    const auto version = owner_.registry_version();
    if (version != registry_version_ || !registry_) {
        registry_ = owner_.registry_snapshot();
        registry_version_ = version;
        last_service_name_ = nullptr;
    }
    // Most callers call the same service again and again: compare with the last hit before
    // hashing.
    if (last_service_name_ && name == *last_service_name_) return last_service_;
    auto it = registry_->by_name.find(name);
    if (it == registry_->by_name.end()) return nullptr;
    last_service_name_ = &it->first;
    last_service_ = it->second;
    return last_service_;
}

void worker::schedule(detail::inbound* m) {
    ready_.push_back(m);
    // Inside a mailbox drain, handlers start when the drain ends (pump_at_exit): one runner
    // then takes the whole batch in its loop instead of being resumed and parked per message.
    if (batch_depth_ == 0) pump();
}

void worker::schedule_next(detail::inbound* m) {
    ready_.push_back(m);
}

void worker::record_call(int outcome, clock::time_point started) noexcept {
    if (outcome >= 0 && outcome < static_cast<int>(stats_.call_outcomes.size()))
        detail::single_writer_add(stats_.call_outcomes[outcome]);
    if (started == clock::time_point{}) return;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - started).count();
    const double seconds = static_cast<double>(ns) / 1e9;
    std::size_t b = 0;
    while (b < worker_stats::latency_bounds.size() && seconds > worker_stats::latency_bounds[b]) ++b;
    detail::single_writer_add(stats_.latency_buckets[b]);
    detail::single_writer_add(stats_.latency_sum_ns, static_cast<std::uint64_t>(ns));
    detail::single_writer_add(stats_.latency_count);
}

void worker::release_mailbox_place(service& s) noexcept {
    if (batch_depth_ == 0) {
        s.queued_.fetch_sub(1, std::memory_order_relaxed);
        return;
    }
    if (s.pending_release_++ == 0) releases_.push_back(&s);
}

void worker::flush_releases() noexcept {
    for (service* s : releases_) {
        s->queued_.fetch_sub(s->pending_release_, std::memory_order_relaxed);
        s->pending_release_ = 0;
    }
    releases_.clear();
}

void worker::pump() noexcept {
    // A runner that is already running (this call came from inside a handler, or from the
    // runner loop itself) picks the message up when its current handler finishes or suspends;
    // pump() resumes idle runners only from the event loop.
    if (pumping_) return;
    pumping_ = true;
    batch_scope batch(*this);
    while (!ready_.empty()) {
        if (idle_.empty()) {
            spawn_runner();
            if (!runners_.back()->started) break;  // it will drain ready_ when it starts
            continue;
        }
        runner* r = idle_.back();
        idle_.pop_back();
        resume(r);
    }
    pumping_ = false;
}

void worker::resume(runner* r) {
    auto h = std::move(*r->parked);
    r->parked.reset();
    std::move(h)();
}

void worker::spawn_runner() {
    runners_.push_back(std::make_unique<runner>());
    runner* r = runners_.back().get();
    detail::single_writer_add(stats_.runners);
    asio::co_spawn(ctx_, run_loop(r), [this](std::exception_ptr e) {
        if (!e) return;
        owner_.log().error("worker {}: a handler runner failed: {}", index_, describe(e));
    });
}

awaitable<void> worker::run_loop(runner* r) {
    r->started = true;
    for (;;) {
        while (detail::message* m = ready_.pop_front()) {
            // Inline rather than a separate coroutine: one frame less per message.
            std::unique_ptr<detail::inbound, detail::disposer> owned(static_cast<detail::inbound*>(m));
            service& s = owned->target();
            release_mailbox_place(s);
            detail::single_writer_add(stats_.messages_handled);
            if (auto running = owned->execute(*this); running.valid()) co_await std::move(running);
            owned.reset();
            s.handler_finished();
        }
        if (stopping_.load(std::memory_order_relaxed)) co_return;
        co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
            [this, r](detail::resume_handler h) {
                r->parked.emplace(std::move(h));
                idle_.push_back(r);
            },
            asio::use_awaitable);
    }
}

void worker::start_thread() {
    thread_ = std::thread([this] {
        current_worker = this;
        auto guard = asio::make_work_guard(ctx_);
        for (;;) {
            try {
                run_events(ctx_, owner_.config().spin);
                break;
            } catch (const std::exception& e) {
                // Handlers must not throw into the event loop; if one does, log and go on
                // serving rather than lose the worker.
                owner_.log().error("worker {}: an exception escaped to the event loop: {}", index_, e.what());
            }
        }
        current_worker = nullptr;
    });
}

void worker::request_stop() noexcept {
    stopping_.store(true, std::memory_order_relaxed);
    ctx_.stop();
}

void worker::join() {
    if (thread_.joinable()) thread_.join();
}

void worker::teardown() noexcept {
    // Order: suspended callers, then parked runners, then queued messages, then whatever the
    // io_context still holds (timers and sockets own the remaining coroutine frames).
    calls_.discard();
    std::vector<detail::resume_handler> parked;
    for (auto& r : runners_)
        if (r->parked) {
            parked.push_back(std::move(*r->parked));
            r->parked.reset();
        }
    idle_.clear();
    parked.clear();
    ready_.clear();
    for (auto& o : outboxes_) o.clear();
    mailbox_.discard();
}

}  // namespace hearth
