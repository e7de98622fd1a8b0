#pragma once
// Membership: what this node knows about every other node of its cluster, and the events that
// report real changes.
//
// States: unknown (configured, never reached), connecting (first attempts, never up), up (a
// sender link passed its handshake), down (was up, the link failed; reconnecting), left (the
// peer announced a graceful leave), removed (dropped from the configuration).
//
// Events fire only on real transitions: node_up when a node becomes up (not when it already
// was), node_down when an up node's link fails, node_left on a leave announcement, node_removed
// once per removal, node_address_changed when a reload moves a node. A node that was never up
// produces no event while its connect attempts fail. A restart seen without a failure in
// between (an up node reports up again with a new incarnation, because it came back before
// its link's failure was noticed) is reported as node_down (reason "restarted with a new
// incarnation") then node_up, so subscribers drop what they kept for the old incarnation.
//
// One authority applies changes: the cluster (senders report their own node, tagged with an
// owner id so a replaced sender cannot change the state of its successor).
//
// Thread safety: every member function may be called from any thread.

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/config.hpp"
#include "framework/asio.hpp"

namespace hearth::cluster {

namespace detail {
struct subscription_waiter;  // the type-erased completion handler of a waiting next()
}

enum class node_state { unknown, connecting, up, down, left, removed };
std::string_view to_string(node_state s) noexcept;

enum class membership_event_kind { node_up, node_down, node_left, node_removed, node_address_changed };
/// How many kinds there are (the last one's value + 1): sizes tables indexed by kind.
inline constexpr std::size_t membership_event_kind_count =
    static_cast<std::size_t>(membership_event_kind::node_address_changed) + 1;
std::string_view to_string(membership_event_kind k) noexcept;

struct membership_event {
    membership_event_kind kind = membership_event_kind::node_up;
    std::string node;
    std::uint64_t incarnation = 0;     ///< node_up: the peer's incarnation
    std::optional<endpoint> address;   ///< node_address_changed: the new address
    std::optional<endpoint> previous;  ///< node_address_changed: the old address
    std::string reason;                ///< node_down / node_left: why, for logs
};

/// A queue of membership events for one subscriber. Events published after subscribe()
/// are kept (unbounded, in order) until taken.
class subscription : public std::enable_shared_from_this<subscription> {
  public:
    /// Waits for the next event on the calling coroutine's executor. Cancellation (e.g.
    /// `next() || timer`) completes it with operation_aborted (thrown); no event is lost.
    /// Throws operation_aborted as well once close() was called and the queue is empty.
    awaitable<membership_event> next();
    /// Blocks the calling (non-worker) thread for at most `timeout`; nullopt when nothing came.
    std::optional<membership_event> wait_for(std::chrono::milliseconds timeout);
    /// The next queued event without waiting.
    std::optional<membership_event> try_next();
    /// Ends the subscription: no more events are queued; a waiting next() completes.
    void close();
    std::size_t pending() const;

    /// Queues an event for this subscriber (membership does this for every subscriber); a
    /// waiting next() completes with it. Ignored after close(). Any thread.
    void push(const membership_event& e);

    subscription();
    ~subscription();
    subscription(const subscription&) = delete;
    subscription& operator=(const subscription&) = delete;

  private:
    struct next_op;  // the initiation of next()
    void complete_locked(std::unique_lock<std::mutex>& lock);
    /// Takes waiter_ (precondition: set), unlocks, posts its completion.
    void post_completion(std::unique_lock<std::mutex>& lock, boost::system::error_code ec,
                         membership_event e);

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<membership_event> events_;
    std::unique_ptr<detail::subscription_waiter> waiter_;
    asio::any_io_executor waiter_ex_;
    bool closed_ = false;
};

class membership {
  public:
    using callback = std::function<void(const membership_event&)>;

    /// Registers a configured node in state unknown (no event). Re-adding a removed node makes
    /// it unknown again; adding a known node changes nothing. Returns the owner id its sender
    /// must use.
    std::uint64_t add(std::string_view node);
    /// The node becomes removed: one node_removed event; no-op when already removed or unknown.
    /// Returns whether it was a transition.
    bool remove(std::string_view node);

    // Reports from the sender that owns `node` (ignored when `owner` is stale or the node is
    // removed).
    void connecting(std::string_view node, std::uint64_t owner);
    void up(std::string_view node, std::uint64_t owner, std::uint64_t incarnation,
            std::vector<std::string> services);
    void down(std::string_view node, std::uint64_t owner, std::string reason);
    void left(std::string_view node, std::uint64_t owner, std::string reason);
    void address_changed(std::string_view node, std::optional<endpoint> from, std::optional<endpoint> to);

    node_state state(std::string_view node) const;  ///< unknown for a name never added
    std::map<std::string, node_state> states() const;
    /// Up nodes advertising `service`, sorted by name.
    std::vector<std::string> nodes_hosting(std::string_view service) const;
    /// The services an up node advertised; empty otherwise.
    std::vector<std::string> services_of(std::string_view node) const;

    /// A new subscriber; events from now on.
    std::shared_ptr<subscription> subscribe();
    /// `cb` runs synchronously on the thread making the transition (a sender's worker): keep it
    /// short and non-blocking. Returns an id for remove_callback().
    std::uint64_t on_event(callback cb);
    void remove_callback(std::uint64_t id);

    /// Events published so far, by kind (tests and metrics).
    std::uint64_t event_count(membership_event_kind k) const;

  private:
    struct entry {
        node_state state = node_state::unknown;
        std::uint64_t owner = 0;
        std::uint64_t incarnation = 0;
        std::vector<std::string> services;
    };
    /// One published event: queued to every subscriber while mutex_ is held (so they all see
    /// one order), and the callbacks to run with it once mutex_ is released (they may call
    /// back into membership).
    struct announcement {
        membership_event event;
        std::vector<std::shared_ptr<callback>> callbacks;
    };
    /// Counts `e` and queues it to the subscribers. Precondition: mutex_ is held by the caller.
    announcement announce_locked(membership_event e);
    /// Runs the callbacks of `a`. Precondition: mutex_ is not held.
    static void run_callbacks(const announcement& a);

    mutable std::mutex mutex_;
    std::map<std::string, entry, std::less<>> nodes_;
    std::vector<std::weak_ptr<subscription>> subscribers_;
    std::map<std::uint64_t, std::shared_ptr<callback>> callbacks_;
    std::uint64_t next_owner_ = 1;
    std::uint64_t next_callback_ = 1;
    std::array<std::uint64_t, membership_event_kind_count> counts_{};
};

}  // namespace hearth::cluster
