#pragma once
// hearth::service: an actor whose handlers are coroutines, pinned to one worker.
//
//   struct join_req { std::string nick; };     // + NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE
//   struct join_resp { int members; };
//   inline constexpr hearth::rpc::method<join_req, join_resp> join{"room.join"};
//
//   class room : public hearth::service {
//   public:
//       room() { handle(join, &room::on_join); }
//   private:
//       hearth::awaitable<join_resp> on_join(join_req req) { co_return join_resp{++members_}; }
//       int members_ = 0;
//   };
//
//   node.add_service<room>("room");
//   auto r = co_await hearth::call(join, req, 1s);   // result<join_resp> (framework/call.hpp)
//
// Execution: every handler of a service runs on its worker's thread, so service state needs
// no lock. Each message starts its handler in arrival order; handlers interleave only at
// co_await points (re-check state after one). A serial service runs one handler at a time.

#include <atomic>
#include <chrono>
#include <concepts>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "framework/asio.hpp"
#include "framework/call_context.hpp"
#include "framework/detail/handler.hpp"
#include "framework/detail/make_request.hpp"
#include "framework/detail/message.hpp"
#include "framework/detail/service_registry.hpp"
#include "rpc/method.hpp"
#include "rpc/result.hpp"

namespace spdlog {
class logger;
}

namespace hearth {

class node;
class worker;
namespace detail {
class inbound;
struct service_access;
}  // namespace detail

class service {
  public:
    service() = default;
    service(const service&) = delete;
    service& operator=(const service&) = delete;
    virtual ~service();

    const std::string& name() const noexcept { return name_; }
    /// "name@node", the source address other services see.
    const std::string& address() const noexcept { return address_; }
    hearth::node& node() const noexcept { return *node_; }
    worker& home() const noexcept { return *home_; }
    asio::any_io_executor executor() const;
    spdlog::logger& log() const noexcept { return *log_; }

    bool serial() const noexcept { return serial_; }
    std::size_t mailbox_capacity() const noexcept { return capacity_; }
    /// Messages accepted but not yet started (any thread, approximate).
    std::size_t queued() const noexcept { return queued_.load(std::memory_order_relaxed); }
    bool has_route(std::string_view route) const { return handlers_.find(route) != handlers_.end(); }
    std::vector<std::string> routes() const;

    /// call() and notify() with this service's address as the caller (call_context::source);
    /// the same forms and contract as hearth::call / hearth::notify (framework/call.hpp).
    template <class Req, class Resp>
    awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m, std::string_view address, Req req,
                                 std::chrono::nanoseconds timeout);
    template <class Req, class Resp>
    awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m, Req req, std::chrono::nanoseconds timeout);
    template <class Req, class Resp, class... Args>
    requires detail::request_from<Req, Args...> awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m,
                                                                             std::chrono::nanoseconds timeout,
                                                                             Args&&... args);
    template <class Req, class Resp, class... Args>
    requires detail::request_from<Req, Args...> awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m,
                                                                             std::string_view address,
                                                                             std::chrono::nanoseconds timeout,
                                                                             Args&&... args);
    template <class Req, class Resp>
    result<void> notify(const rpc::method<Req, Resp>& m, std::string_view address, Req req);
    template <class Req, class Resp>
    result<void> notify(const rpc::method<Req, Resp>& m, Req req);

  protected:
    /// Runs on the service's worker before any message is handled (messages that arrive
    /// meanwhile wait, in order). An exception is logged and the service runs anyway.
    virtual awaitable<void> on_start();
    /// Runs during shutdown, within the stop_services step's deadline.
    virtual awaitable<void> on_stop();

    /// Registers a handler for a method. The handler is a member function or callable taking
    /// `(Req)` or `(const call_context&, Req)` and returning `awaitable<Resp>` or
    /// `awaitable<result<Resp>>`; anything else does not compile. Call from the constructor.
    template <class Req, class Resp, class F>
    void handle(const rpc::method<Req, Resp>& m, F f);
    template <class Req, class Resp, class C, class R, class... A>
    void handle(const rpc::method<Req, Resp>& m, R (C::*handler)(A...));

    /// Makes the service serial (one handler at a time). Call from the constructor.
    void set_serial(bool serial) noexcept { serial_ = serial; }
    void set_mailbox_capacity(std::size_t capacity) noexcept { capacity_ = capacity; }

  private:
    friend class node;
    friend class worker;
    friend class detail::inbound;
    friend struct detail::service_access;

    enum class state { created, starting, running, stopped };

    void attach(hearth::node& n, worker& home, std::string name, std::shared_ptr<spdlog::logger> log);
    void add_handler(std::string_view route, std::unique_ptr<detail::handler_base> h);
    awaitable<void> run_start();
    awaitable<void> run_stop();

    // Worker-thread side of message delivery.
    void deliver(detail::inbound* m);
    void handler_finished();

    // Reached by the framework's messages through detail::service_access.

    /// Mailbox accounting (any thread): a message counts from acceptance until its handler
    /// starts. try_reserve() fails when the mailbox is full.
    bool try_reserve() noexcept;
    /// Reserves up to `n` places at once; returns how many it got (the first ones of a batch
    /// are accepted, the rest refused).
    std::size_t try_reserve_up_to(std::size_t n) noexcept;
    void cancel_reservation() noexcept { queued_.fetch_sub(1, std::memory_order_relaxed); }
    /// The handler for `route`, or nullptr. On the service's worker (it caches the last hit:
    /// a service usually receives bursts of one method).
    detail::handler_base* find_handler(std::string_view route) const noexcept {
        if (last_route_ && route == *last_route_) return last_handler_;
        auto it = handlers_.find(route);
        if (it == handlers_.end()) return nullptr;
        last_route_ = &it->first;
        last_handler_ = it->second.get();
        return last_handler_;
    }

    std::string name_;
    std::string address_;
    hearth::node* node_ = nullptr;
    worker* home_ = nullptr;
    std::shared_ptr<spdlog::logger> log_;
    bool serial_ = false;
    std::size_t capacity_ = 0;
    // The mailbox counter is written by every sender's thread and by the service's worker: it
    // gets a cache line of its own, apart from the fields senders only read (above) and the
    // worker-thread state (below), so neither side's other accesses bounce that line.
    alignas(64) std::atomic<std::size_t> queued_{0};

    // Worker-thread state.
    alignas(64) std::unordered_map<std::string, std::unique_ptr<detail::handler_base>, detail::string_hash,
                                   std::equal_to<>> handlers_;
    state state_ = state::created;
    detail::message_list held_;  // arrived before on_start() finished
    detail::message_list serial_queue_;
    bool serial_busy_ = false;
    std::size_t pending_release_ = 0;  // worker::release_mailbox_place batches these
    mutable const std::string* last_route_ = nullptr;
    mutable detail::handler_base* last_handler_ = nullptr;
};

template <class Req, class Resp, class F>
void service::handle(const rpc::method<Req, Resp>& m, F f) {
    static_assert(detail::valid_handler<F, Req, Resp>(),
                  "A handler takes (Req) or (const hearth::call_context&, Req) and returns "
                  "awaitable<Resp> or awaitable<result<Resp>> for its rpc::method<Req, Resp>.");
    add_handler(m.route, std::make_unique<detail::handler_impl<Req, Resp, F>>(std::move(f)));
}

template <class Req, class Resp, class C, class R, class... A>
void service::handle(const rpc::method<Req, Resp>& m, R (C::*handler)(A...)) {
    static_assert(std::is_base_of_v<service, C>, "A member handler belongs to a hearth::service.");
    C* self = static_cast<C*>(this);
    if constexpr (sizeof...(A) == 2) {
        handle(m, [self, handler](const call_context& ctx, Req req) -> R {
            return (self->*handler)(ctx, std::move(req));
        });
    } else {
        static_assert(sizeof...(A) == 1, "A handler takes (Req) or (const hearth::call_context&, Req).");
        handle(m, [self, handler](Req req) -> R { return (self->*handler)(std::move(req)); });
    }
}

namespace detail {

/// The narrow door through which the framework's messages (local calls, remote batches) reach
/// a service's mailbox accounting and handler table, which are private to users.
struct service_access {
    /// Mailbox accounting (any thread): a message counts from acceptance until its handler
    /// starts. False when the mailbox is full.
    static bool try_reserve(service& s) noexcept { return s.try_reserve(); }
    /// Reserves up to `n` places at once; returns how many it got.
    static std::size_t try_reserve_up_to(service& s, std::size_t n) noexcept {
        return s.try_reserve_up_to(n);
    }
    static void cancel_reservation(service& s) noexcept { s.cancel_reservation(); }
    /// The handler for `route`, or nullptr. On the service's worker.
    static handler_base* find_handler(const service& s, std::string_view route) noexcept {
        return s.find_handler(route);
    }
};

}  // namespace detail

}  // namespace hearth

#include "framework/call.hpp"  // call(), notify() and service::call/notify's bodies
