#include "framework/node.hpp"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <csignal>
#include <stdexcept>

#include <spdlog/logger.h>
#include <boost/asio/post.hpp>

#include "framework/address.hpp"
#include "framework/detail/call_errors.hpp"
#include "framework/detail/inbound.hpp"
#include "framework/detail/remote_batch.hpp"
#include "framework/detail/shutdown.hpp"
#include "framework/fd_limit.hpp"
#include "framework/log.hpp"
#include "framework/metrics.hpp"
#include "framework/secure_random.hpp"
#include "framework/service.hpp"

namespace hearth {
namespace {

/// Replies to calls that were dispatched into this node by this node (deliver_reply).
class node_replies final : public node::inbound_replies {
  public:
    explicit node_replies(node& n) : node_(n) {}
    void reply(std::uint64_t call_id, std::uint32_t worker, remote_outcome&& outcome) override {
        transport_host(node_).deliver_reply(reply_address{worker, call_id}, std::move(outcome));
    }

  private:
    node& node_;
};

/// A batch's block stays alive while any of its handlers runs: a cap keeps one long-suspended
/// handler from pinning more than this many requests' worth of memory.
constexpr std::size_t max_batch_items = 64;

/// A remote reply, run on the caller's worker.
class remote_reply final : public detail::message {
  public:
    remote_reply(std::uint64_t id, remote_outcome&& o) : id_(id), outcome_(std::move(o)) {}
    void run(worker& w) override {
        std::unique_ptr<remote_reply> self(this);
        auto c = w.calls().take(id_);
        if (!c) {
            detail::single_writer_add(w.stats().late_replies);
            return;
        }
        if (outcome_.error)
            c->sink->set_error(std::move(*outcome_.error));
        else
            c->sink->set_encoded(outcome_.codec, outcome_.payload);
        std::move(c->handler)();
    }

  private:
    std::uint64_t id_;
    remote_outcome outcome_;
};

}  // namespace

node::node(node_config config)
    : config_(std::move(config)),
      incarnation_(secure_random_nonzero_u64()),
      log_(hearth::make_logger(config_.name, config_.log_level)),
      metrics_(std::make_unique<hearth::metrics>()),
      log_level_(config_.log_level),
      registry_(std::make_shared<detail::service_registry>()) {
    if (!valid_name(config_.name))
        throw std::invalid_argument("'" + config_.name +
                                    "' is not a valid node name (letters, digits, '-', '_', ':').");
    unsigned threads = config_.threads ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
    config_.threads = threads;
    for (unsigned i = 0; i < threads; ++i) workers_.push_back(std::make_unique<worker>(*this, i));
    self_replies_ = std::make_shared<node_replies>(*this);
    register_metrics();
}

void node::register_metrics() {
    inbound_refused_ = &metrics_->counter(
        "hearth_inbound_refused_total",
        "Notifies from other nodes dropped at once: no such service, or its mailbox was full.");
    // Scrape-time collector: the hot paths keep plain per-worker counters; this sums them.
    metrics_->add_collector([this](metrics_writer& out) {
        auto sum = [this](auto member) {
            std::uint64_t total = 0;
            for (auto& w : workers_) total += (w->stats().*member).load(std::memory_order_relaxed);
            return static_cast<double>(total);
        };
        out.family("hearth_calls_total", "Calls made from this node, by outcome (ok or the error code).",
                   metric_type::counter);
        for (std::size_t i = 0; i <= rpc::errc_count; ++i) {  // 0: ok, i: rpc::errc(i)
            std::uint64_t total = 0;
            for (auto& w : workers_) total += w->stats().call_outcomes[i].load(std::memory_order_relaxed);
            const std::string code = i == 0 ? "ok" : std::string(rpc::to_string(static_cast<rpc::errc>(i)));
            out.sample("hearth_calls_total", {{"code", code}}, static_cast<double>(total));
        }
        out.family("hearth_call_duration_seconds", "Call round-trip time (one call in 16 is timed).",
                   metric_type::histogram);
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b <= worker_stats::latency_bounds.size(); ++b) {
            for (auto& w : workers_)
                cumulative += w->stats().latency_buckets[b].load(std::memory_order_relaxed);
            const std::string le = b < worker_stats::latency_bounds.size()
                                       ? nlohmann::json(worker_stats::latency_bounds[b]).dump()
                                       : std::string("+Inf");
            out.sample("hearth_call_duration_seconds_bucket", {{"le", le}}, static_cast<double>(cumulative));
        }
        out.sample("hearth_call_duration_seconds_sum", {}, sum(&worker_stats::latency_sum_ns) / 1e9);
        out.sample("hearth_call_duration_seconds_count", {}, sum(&worker_stats::latency_count));
        out.family("hearth_messages_handled_total", "Messages whose handler started.", metric_type::counter);
        out.sample("hearth_messages_handled_total", {}, sum(&worker_stats::messages_handled));
        out.family("hearth_late_replies_total",
                   "Replies that arrived after their call had timed out or was cancelled.",
                   metric_type::counter);
        out.sample("hearth_late_replies_total", {}, sum(&worker_stats::late_replies));
        out.family("hearth_handler_failures_total", "Handlers that threw.", metric_type::counter);
        out.sample("hearth_handler_failures_total", {}, sum(&worker_stats::handler_failures));
        out.family("hearth_client_replies_via_gate_total",
                   "Replies to calls from a client's gate on another node sent through that gate, "
                   "behind what the handler sent to the client (framework/client_replies.hpp).",
                   metric_type::counter);
        out.sample("hearth_client_replies_via_gate_total", {}, sum(&worker_stats::client_replies_via_gate));
        out.family("hearth_handler_runners", "Coroutines kept to run handlers.", metric_type::gauge);
        out.sample("hearth_handler_runners", {}, sum(&worker_stats::runners));
        out.family("hearth_mailbox_depth", "Messages accepted for a service but not started yet.",
                   metric_type::gauge);
        out.family("hearth_mailbox_capacity", "The bound of a service's mailbox.", metric_type::gauge);
        std::vector<std::pair<std::string, service*>> all;
        {
            std::lock_guard lock(registry_mutex_);
            for (const auto& [name, s] : registry_->by_name) all.emplace_back(name, s);
        }
        std::sort(all.begin(), all.end());
        for (const auto& [name, s] : all) {
            out.sample("hearth_mailbox_depth", {{"service", name}}, static_cast<double>(s->queued()));
            out.sample("hearth_mailbox_capacity", {{"service", name}},
                       static_cast<double>(s->mailbox_capacity()));
        }
        out.family("hearth_workers", "Worker threads of this node.", metric_type::gauge);
        out.sample("hearth_workers", {}, static_cast<double>(workers_.size()));
    });
}

node::~node() {
    bool started;
    {
        std::lock_guard lock(stop_mutex_);
        started = started_;
    }
    if (started) {
        request_stop();
        wait();
    }
    // The transport (the cluster) lets go of its sockets and timers while the io_contexts
    // still exist; then coroutines still suspended on the workers go (they may touch their
    // services), then the io_contexts (inside each worker), then the services.
    set_transport(nullptr);
    for (auto& w : workers_) w->teardown();
    workers_.clear();
    services_.clear();
}

std::shared_ptr<spdlog::logger> node::make_logger(std::string_view component) const {
    std::lock_guard lock(loggers_mutex_);
    auto log = hearth::make_logger(config_.name + "/" + std::string(component), log_level_);
    // Forget loggers that are gone, so that a node making many short-lived ones stays small.
    std::erase_if(loggers_, [](const auto& w) { return w.expired(); });
    loggers_.push_back(log);
    return log;
}

bool node::set_log_level(std::string_view level) {
    const auto lvl = spdlog::level::from_str(std::string(level));
    if (lvl == spdlog::level::off && level != "off") return false;
    std::lock_guard lock(loggers_mutex_);
    log_level_ = std::string(level);
    log_->set_level(lvl);
    for (auto& w : loggers_)
        if (auto l = w.lock()) l->set_level(lvl);
    return true;
}

std::string node::log_level() const {
    std::lock_guard lock(loggers_mutex_);
    return log_level_;
}

service& node::register_service(std::unique_ptr<service> s, service_options options) {
    if (!valid_name(options.name))
        throw std::invalid_argument("'" + options.name +
                                    "' is not a valid service name (letters, digits, '-', '_', ':').");
    if (options.worker && *options.worker >= workers_.size())
        throw std::invalid_argument("Service '" + options.name + "' asks for worker " +
                                    std::to_string(*options.worker) + " but node '" + name() + "' has " +
                                    std::to_string(workers_.size()) + ".");
    service& ref = *s;
    {
        std::lock_guard lock(registry_mutex_);
        if (registry_->find(options.name))
            throw std::invalid_argument("A service named '" + options.name + "' already exists on node '" +
                                        name() + "'.");
        const unsigned w = options.worker ? *options.worker : (next_worker_++ % worker_count());
        if (options.serial) ref.set_serial(true);
        if (options.mailbox_capacity) ref.set_mailbox_capacity(options.mailbox_capacity);
        ref.attach(*this, *workers_[w], options.name, make_logger(options.name));
        auto next = std::make_shared<detail::service_registry>(*registry_);
        next->by_name.emplace(options.name, &ref);
        registry_ = std::move(next);
        registry_version_.fetch_add(1, std::memory_order_release);
        services_.push_back(std::move(s));
    }
    if (running()) start_service(ref);
    return ref;
}

void node::start_service(service& s) {
    spawn(
        s.home().index(), [&s] { return s.run_start(); }, "on_start of " + s.name());
}

service* node::find_service(std::string_view name) const {
    worker* w = worker::current();
    if (w && &w->owner() == this) return w->find_service(name);
    std::lock_guard lock(registry_mutex_);
    return registry_->find(name);
}

std::shared_ptr<const detail::service_registry> node::registry_snapshot() const {
    std::lock_guard lock(registry_mutex_);
    return registry_;
}

std::vector<std::string> node::service_names() const {
    std::vector<std::string> names;
    {
        std::lock_guard lock(registry_mutex_);
        for (const auto& [n, s] : registry_->by_name) names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    return names;
}

void node::set_transport(std::shared_ptr<remote_transport> t) {
    transport_raw_.store(t.get(), std::memory_order_release);
    std::lock_guard lock(registry_mutex_);
    transport_ = std::move(t);
}

std::shared_ptr<remote_transport> node::transport() const {
    std::lock_guard lock(registry_mutex_);
    return transport_;
}

void node::add_shutdown_step(shutdown_step step) {
    std::lock_guard lock(registry_mutex_);
    shutdown_steps_.push_back(std::move(step));
}

void node::start() {
    {
        std::lock_guard lock(stop_mutex_);
        if (started_) throw std::logic_error("node '" + name() + "' was already started.");
        started_ = true;
    }
    // A peer or client that goes away mid-write must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    // Every connection is a descriptor: use what the administrator allows (once per process).
    std::uint64_t before = 0;
    const std::uint64_t files = raise_open_file_limit(&before);
    static std::atomic<bool> told{false};
    if (files != before && !told.exchange(true))
        log_->info("open-file limit raised from {} to {} (the hard limit)", before, files);
    started_at_ = clock::now();
    running_.store(true, std::memory_order_release);
    for (auto& w : workers_) w->start_thread();
    std::vector<service*> to_start;
    {
        std::lock_guard lock(registry_mutex_);
        for (auto& s : services_) to_start.push_back(s.get());
    }
    for (service* s : to_start) start_service(*s);
    log_->info("node started: {} workers, {} services, incarnation {:016x}", workers_.size(), to_start.size(),
               incarnation_);
}

void node::run() {
    start();
    wait();
}

void node::request_stop() {
    if (stopping_.exchange(true)) return;
    std::lock_guard lock(stop_mutex_);
    if (!started_) {
        stopped_ = true;
        stopped_cv_.notify_all();
        return;
    }
    shutdown_thread_ = std::thread([this] { shutdown_thread_main(); });
}

void node::wait() {
    std::unique_lock lock(stop_mutex_);
    stopped_cv_.wait(lock, [this] { return stopped_; });
    if (!joined_ && shutdown_thread_.joinable()) {
        joined_ = true;
        auto t = std::move(shutdown_thread_);
        lock.unlock();
        t.join();
    }
}

shutdown_report node::stop() {
    worker* w = worker::current();
    if (w && &w->owner() == this) {
        // Precondition broken: this thread would have to wait for itself to stop. Say so
        // loudly, and return a report that is not ok() rather than an empty (vacuously ok) one.
        const std::string why = "node::stop() was called on worker " + std::to_string(w->index()) +
                                " of node '" + name() +
                                "', which cannot wait for its own thread to stop; the stop was requested "
                                "instead. Call request_stop() from a worker.";
        log_->error("{}", why);
        assert(!"node::stop() called from one of the node's own workers; use request_stop()");
        request_stop();
        shutdown_report r;
        r.steps.push_back({"stop", false, why, std::chrono::milliseconds(0)});
        return r;
    }
    request_stop();
    wait();
    return last_shutdown();
}

shutdown_report node::last_shutdown() const {
    std::lock_guard lock(stop_mutex_);
    return last_report_;
}

void node::shutdown_thread_main() {
    log_->info("node stopping");
    // Steps that must not run on a worker ("stop workers") run here, on this thread.
    asio::io_context control(1);
    std::vector<detail::planned_step> plan;
    {
        std::lock_guard lock(registry_mutex_);
        for (const auto& s : shutdown_steps_)
            plan.push_back({s, worker_at(std::min(s.worker, worker_count() - 1)).executor()});
    }
    // The framework's own steps, each last in its phase.
    plan.push_back({detail::stop_services_step(*this, [](service& s) { return s.run_stop(); }),
                    worker_at(0).executor()});
    plan.push_back({detail::cancel_pending_calls_step(*this), worker_at(0).executor()});
    plan.push_back({detail::stop_workers_step(*this), control.get_executor()});
    std::stable_sort(plan.begin(), plan.end(),
                     [](const detail::planned_step& a, const detail::planned_step& b) {
                         return a.step.phase < b.step.phase;
                     });

    shutdown_report report;
    for (const auto& planned : plan) {
        auto outcome = detail::run_step(planned, control);
        if (outcome.ok)
            log_->info("shutdown step '{}' done in {} ms", outcome.name, outcome.took.count());
        else
            log_->error("shutdown step '{}' failed: {}; continuing", outcome.name, outcome.error);
        report.steps.push_back(std::move(outcome));
    }

    running_.store(false, std::memory_order_release);
    log_->info("node stopped{}", report.ok() ? "" : " (some shutdown steps failed)");
    std::lock_guard lock(stop_mutex_);
    last_report_ = std::move(report);
    stopped_ = true;
    stopped_cv_.notify_all();
}

void node::deliver_reply(reply_address to, remote_outcome outcome) {
    if (to.worker >= workers_.size()) {
        log_->warn("dropped a reply for worker {}: this node has {} workers", to.worker, workers_.size());
        return;
    }
    workers_[to.worker]->post(new remote_reply(to.call_id, std::move(outcome)));
}

void node::dispatch_inbound(inbound_batch&& batch) {
    auto entries = batch.entries;
    if (entries.empty()) return;
    auto refuse = [&](std::span<inbound_entry> refused, const rpc::error& why) {
        std::uint64_t dropped = 0;
        for (auto& e : refused) {
            if (e.one_way || !batch.replies) {
                ++dropped;
                continue;
            }
            batch.replies->reply(e.call_id, e.reply_worker, remote_outcome{why, batch.codec, {}});
        }
        if (dropped) inbound_refused_->add(dropped);
    };
    service* s = find_service(batch.service);
    if (!s) {
        refuse(entries, detail::call_errors::no_service(batch.service, name()));
        return;
    }
    while (!entries.empty()) {
        const auto take = std::min(entries.size(), max_batch_items);
        const auto granted = s->try_reserve_up_to(take);
        if (granted > 0) {
            inbound_batch part = batch;
            part.entries = entries.first(granted);
            s->home().post(detail::remote_batch::create(*s, part, granted));
        }
        if (granted < take) {
            refuse(entries.subspan(granted), detail::call_errors::mailbox_full(s->name()));
            return;
        }
        entries = entries.subspan(granted);
    }
}

void log_spawn_failure(node& n, const std::string& what, std::exception_ptr e) noexcept {
    try {
        n.log().error("{} failed: {}", what, describe(e));
    } catch (...) {
    }
}

namespace detail {

awaitable<void> wait_for_reply(worker& w, std::uint64_t id) {
    co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
        [&w, id](resume_handler h) {
            auto slot = asio::get_associated_cancellation_slot(h);
            if (slot.is_connected()) {
                slot.assign([&w, id](asio::cancellation_type) {
                    // Complete from the event loop, never from inside the canceller's frame.
                    asio::post(w.executor(),
                               [&w, id] { w.calls().fail(id, detail::call_errors::cancelled_by_caller()); });
                });
            }
            w.calls().attach(id, std::move(h));
        },
        asio::use_awaitable);
}

}  // namespace detail
}  // namespace hearth
