#pragma once
// hearth::node: a process's runtime. Workers, the service registry, the remote transport,
// and the ordered shutdown.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "framework/asio.hpp"
#include "framework/call_context.hpp"
#include "framework/client_replies.hpp"
#include "framework/detail/service_registry.hpp"
#include "framework/remote_transport.hpp"
#include "framework/worker.hpp"

namespace spdlog {
class logger;
}

namespace hearth {

class service;
class metrics;
class counter;
namespace detail {
struct shutdown_access;  // framework/detail/shutdown.cpp: the framework's own shutdown steps
}

struct node_config {
    std::string name = "node";
    unsigned threads = 0;                                   ///< workers; 0 = one per core
    std::size_t mailbox_capacity = 65536;                   ///< default per-service bound on queued messages
    std::chrono::milliseconds stop_services_timeout{3000};  ///< deadline of the on_stop step
    std::string log_level = "info";                         ///< spdlog level name
    /// How long a worker that ran out of work keeps polling for more before it sleeps in the
    /// kernel (0: sleep at once). Waking a sleeping thread costs tens of microseconds on an idle
    /// machine (the poster's eventfd write, the scheduler, the CPU leaving its idle state); a
    /// message that arrives while the worker still polls costs none of that. Go's scheduler and
    /// Seastar's reactor poll briefly before parking for the same reason. The poll only follows
    /// work, so an idle node stays asleep (a worker woken by a 1 s timer polls 50 us of each
    /// second: 0.005% of a core).
    std::chrono::microseconds spin{50};
};

struct service_options {
    std::string name;
    std::optional<unsigned> worker;    ///< pin to this worker; default: round-robin
    bool serial = false;               ///< one handler at a time, in arrival order
    std::size_t mailbox_capacity = 0;  ///< 0: the node's default
};

/// The order in which shutdown steps run. Modules register steps in the phase they belong to;
/// within a phase, steps run in registration order.
enum class shutdown_phase {
    stop_accepting = 0,  ///< gates stop accepting clients
    kick_clients,        ///< sessions are kicked with a reason
    announce_leave,      ///< peers are told this node is leaving
    drain_senders,       ///< outbound queues flush
    stop_services,       ///< every service's on_stop() (the framework's own step)
    stop_workers,        ///< io_contexts stop (the framework's own step)
};

/// One step of the shutdown (node::add_shutdown_step). Its coroutine runs on worker `worker`
/// with a cancellation slot bound to it. When it has not ended by `deadline`, the shutdown
/// emits terminal cancellation on that worker: the step's pending async operation completes with
/// `asio::error::operation_aborted` (thrown as boost::system::system_error by plain
/// `use_awaitable`, returned by `as_tuple(use_awaitable)`), `co_await
/// asio::this_coro::cancellation_state` reports `cancellation_type::terminal` from then on, and
/// (unless the step sets `this_coro::throw_if_cancelled(false)`) its next async operation throws
/// at once. The step should then end; its outcome is "timed out after N ms" either way. A step
/// still running 100 ms after its cancellation is abandoned (it keeps running, detached, until the
/// workers stop) and the shutdown goes on.
struct shutdown_step {
    std::string name;
    shutdown_phase phase = shutdown_phase::stop_accepting;
    std::chrono::milliseconds deadline{2000};
    unsigned worker = 0;                   ///< where the step's coroutine runs
    std::function<awaitable<void>()> run;  ///< the step; throwing counts as a failure
};

/// What a finished shutdown did: one entry per step, in order.
struct shutdown_report {
    struct step_outcome {
        std::string name;
        bool ok = false;
        std::string error;  ///< "timed out after 2000 ms" or the exception's text
        std::chrono::milliseconds took{0};
    };
    std::vector<step_outcome> steps;
    bool ok() const noexcept {
        for (const auto& s : steps)
            if (!s.ok) return false;
        return true;
    }
};

class node {
  public:
    explicit node(node_config config = {});
    node(const node&) = delete;
    node& operator=(const node&) = delete;
    /// Stops the node if it is running, then destroys every service.
    ~node();

    const std::string& name() const noexcept { return config_.name; }
    /// A random non-zero id drawn at construction from the cryptographic generator
    /// (secure_random.hpp): tells this process start from an earlier one, and a peer cannot
    /// predict it. The constructor throws std::runtime_error if the generator fails.
    std::uint64_t incarnation() const noexcept { return incarnation_; }
    const node_config& config() const noexcept { return config_; }
    clock::time_point started_at() const noexcept { return started_at_; }

    unsigned worker_count() const noexcept { return static_cast<unsigned>(workers_.size()); }
    worker& worker_at(unsigned index) { return *workers_.at(index); }

    spdlog::logger& log() noexcept { return *log_; }
    /// A logger named "node/component" at the node's level; set_log_level() reaches it too.
    std::shared_ptr<spdlog::logger> make_logger(std::string_view component) const;
    /// Changes the level of every logger of this node; false for an unknown level name.
    bool set_log_level(std::string_view level);
    std::string log_level() const;
    hearth::metrics& metrics() noexcept { return *metrics_; }

    // ---- services ------------------------------------------------------------------------

    /// Creates a service of type T (constructed from args) and registers it under
    /// options.name. Throws std::invalid_argument for an invalid or duplicate name. Safe before
    /// start() and while running (the service starts at once). The node owns the service.
    template <class T, class... Args>
    T& add_service(service_options options, Args&&... args);
    template <class T, class... Args>
    T& add_service(std::string name, Args&&... args) {
        service_options options;
        options.name = std::move(name);
        return add_service<T>(std::move(options), std::forward<Args>(args)...);
    }

    /// The service registered under `name`, or nullptr. Any thread.
    service* find_service(std::string_view name) const;
    /// Names of all registered services, sorted. Any thread.
    std::vector<std::string> service_names() const;

    // ---- running -------------------------------------------------------------------------

    /// Starts the worker threads and every service's on_start(). Returns at once.
    void start();
    /// start(), then blocks until the node has stopped.
    void run();
    /// Blocks until the node has stopped (after stop()/request_stop() from anywhere).
    void wait();
    /// Runs the shutdown steps and stops the workers; blocks until done and returns the report.
    /// Precondition: not called on one of this node's workers (it would wait for its own thread
    /// to stop); a handler calls request_stop() instead. Broken, it logs an error, asserts in
    /// debug builds, requests the stop and returns a report whose one step "stop" failed.
    shutdown_report stop();
    /// Starts the shutdown in the background; any thread, idempotent.
    void request_stop();
    bool running() const noexcept { return running_.load(std::memory_order_acquire); }
    bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }
    /// The report of the last completed shutdown.
    shutdown_report last_shutdown() const;

    void add_shutdown_step(shutdown_step step);

    /// Runs the coroutine made by `factory()` on a worker, logging an exception that escapes.
    template <class Factory>
    void spawn(unsigned worker_index, Factory factory, std::string what = "task");

    // ---- the cluster seam ------------------------------------------------------------------

    /// Installs the transport for "service@other-node" addresses (the cluster does this).
    /// Install before start(), or accept that calls racing the install see `unreachable`.
    void set_transport(std::shared_ptr<remote_transport> t);
    std::shared_ptr<remote_transport> transport() const;
    remote_transport* transport_ptr() const noexcept {
        return transport_raw_.load(std::memory_order_acquire);
    }

    /// The seam's types (framework/remote_transport.hpp), under their former names.
    using inbound_replies = hearth::inbound_replies;
    using inbound_entry = hearth::inbound_entry;
    using inbound_batch = hearth::inbound_batch;

    // ---- replies to clients of gates on other nodes (framework/client_replies.hpp) ---------

    /// Installs this node's client reply route (the session module does, on the first message
    /// this node sends towards a gate on another node); installing again replaces it. Any thread.
    void set_client_reply_route(client_reply_route route) noexcept {
        client_reply_route_.store(route, std::memory_order_release);
    }
    /// This node's route, or nullptr. Any thread.
    client_reply_route current_client_reply_route() const noexcept {
        return client_reply_route_.load(std::memory_order_acquire);
    }
    /// Counts a message this node sends towards a client session on another node. Any thread;
    /// one atomic add on a cache line of its own.
    void note_remote_client_effect() noexcept {
        remote_client_effects_.value.fetch_add(1, std::memory_order_release);
    }
    /// The count so far (compared before and after a client's handler runs). Any thread.
    std::uint64_t remote_client_effects() const noexcept {
        return remote_client_effects_.value.load(std::memory_order_acquire);
    }

  private:
    friend class worker;                    // reads the service registry through the two functions below
    friend class transport_host;            // a transport's door to the three functions below
    friend struct detail::shutdown_access;  // "stop services" lists the services to stop

    // The node's side of the cluster seam; transports reach it through transport_host, whose
    // functions state the contract (framework/remote_transport.hpp).
    void deliver_reply(reply_address to, remote_outcome outcome);
    void dispatch_inbound(inbound_batch&& batch);
    std::shared_ptr<inbound_replies> replies_to_this_node() const { return self_replies_; }

    std::uint64_t registry_version() const noexcept {
        return registry_version_.load(std::memory_order_acquire);
    }
    std::shared_ptr<const detail::service_registry> registry_snapshot() const;

    service& register_service(std::unique_ptr<service> s, service_options options);
    void start_service(service& s);
    void shutdown_thread_main();
    void register_metrics();

    node_config config_;
    std::uint64_t incarnation_;
    std::shared_ptr<spdlog::logger> log_;
    std::unique_ptr<hearth::metrics> metrics_;
    mutable std::mutex loggers_mutex_;
    mutable std::vector<std::weak_ptr<spdlog::logger>> loggers_;  // guarded by loggers_mutex_
    std::string log_level_;                                       // guarded by loggers_mutex_
    std::vector<std::unique_ptr<worker>> workers_;

    mutable std::mutex registry_mutex_;
    std::shared_ptr<const detail::service_registry> registry_;
    std::atomic<std::uint64_t> registry_version_{1};
    std::vector<std::unique_ptr<service>> services_;  // guarded by registry_mutex_; owned until ~node
    unsigned next_worker_ = 0;

    std::shared_ptr<remote_transport> transport_;
    std::atomic<remote_transport*> transport_raw_{nullptr};
    std::shared_ptr<inbound_replies> self_replies_;
    hearth::counter* inbound_refused_ = nullptr;
    std::atomic<client_reply_route> client_reply_route_{nullptr};
    // Bumped by whichever worker sends to a remote gate, read by every client call from one:
    // a line of its own keeps those writes off the fields around it.
    struct alignas(64) effect_counter {
        std::atomic<std::uint64_t> value{0};
    };
    effect_counter remote_client_effects_;

    std::vector<shutdown_step> shutdown_steps_;  // guarded by registry_mutex_

    std::atomic<bool> running_{false};
    std::atomic<bool> stopping_{false};
    clock::time_point started_at_{};
    mutable std::mutex stop_mutex_;
    std::condition_variable stopped_cv_;
    bool stopped_ = false;  // guarded by stop_mutex_
    bool started_ = false;  // guarded by stop_mutex_
    bool joined_ = false;   // guarded by stop_mutex_
    std::thread shutdown_thread_;
    shutdown_report last_report_;  // guarded by stop_mutex_
};

/// Logs an exception escaping a spawned coroutine; the completion handler of node::spawn.
void log_spawn_failure(node& n, const std::string& what, std::exception_ptr e) noexcept;

template <class Factory>
void node::spawn(unsigned worker_index, Factory factory, std::string what) {
    worker& w = worker_at(worker_index);
    asio::co_spawn(w.executor(), std::move(factory), [this, what = std::move(what)](std::exception_ptr e) {
        if (e) log_spawn_failure(*this, what, e);
    });
}

template <class T, class... Args>
T& node::add_service(service_options options, Args&&... args) {
    auto owned = std::make_unique<T>(std::forward<Args>(args)...);
    T& ref = *owned;
    register_service(std::move(owned), std::move(options));
    return ref;
}

inline void transport_host::deliver_reply(reply_address to, remote_outcome outcome) {
    node_.deliver_reply(to, std::move(outcome));
}
inline void transport_host::dispatch_inbound(inbound_batch&& batch) {
    node_.dispatch_inbound(std::move(batch));
}
inline std::shared_ptr<inbound_replies> transport_host::replies_to_this_node() const {
    return node_.replies_to_this_node();
}

}  // namespace hearth
