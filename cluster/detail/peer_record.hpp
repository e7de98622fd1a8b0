#pragma once
// What belongs to a peer rather than to one sender object. A reload that removes and re-adds a
// node, or one that re-creates its sender, makes a new sender while the old one may still be
// tearing its socket down; the cluster keeps one peer_record per peer name for its whole life
// and hands it to every sender it makes for that peer, so that
// - the peer has one socket slot: a sender opens a socket only while it holds the slot, and
//   the old sender gives it back only after its socket is closed (at most one outbound socket
//   per peer per process at every instant);
// - sockets are counted per peer (live now, most ever live at once), which is what
//   `max_live_sockets` in GET /cluster shows;
// - links are counted per peer, so the first link of a re-created sender is a reconnect;
// - the "cannot reach" log limiter is the peer's: a burst of reloads does not log once per
//   sender.
//
// Thread safety: every member may be called from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "framework/log.hpp"

namespace hearth::cluster::detail {

class peer_record {
  public:
    explicit peer_record(std::chrono::milliseconds log_interval) : cannot_reach_log_(log_interval) {}
    peer_record(const peer_record&) = delete;
    peer_record& operator=(const peer_record&) = delete;

    /// Takes the peer's socket slot for `holder` (true; also when `holder` already has it).
    /// When another holder has it, returns false and remembers `on_free`, which runs once,
    /// on the releasing thread and without any lock held, when the slot is released; the
    /// caller then tries again.
    bool try_acquire(const void* holder, std::function<void()> on_free) {
        std::lock_guard lock(mutex_);
        if (holder_ == nullptr || holder_ == holder) {
            holder_ = holder;
            return true;
        }
        waiters_.push_back(std::move(on_free));
        return false;
    }

    /// Gives the slot back if `holder` has it and wakes every waiter.
    void release(const void* holder) {
        std::vector<std::function<void()>> wake;
        {
            std::lock_guard lock(mutex_);
            if (holder_ != holder) return;
            holder_ = nullptr;
            wake.swap(waiters_);
        }
        for (auto& f : wake) f();
    }

    /// A sender created a socket for this peer / destroyed it (after closing it).
    void socket_opened() noexcept {
        const auto live = live_.fetch_add(1) + 1;
        auto seen = max_live_.load();
        while (live > seen && !max_live_.compare_exchange_weak(seen, live)) {
        }
    }
    void socket_closed() noexcept { live_.fetch_sub(1); }
    std::uint64_t live_sockets() const noexcept { return live_.load(); }
    /// The most sockets to this peer ever open at one instant in this process (must stay <= 1).
    std::uint64_t max_live_sockets() const noexcept { return max_live_.load(); }

    /// Counts a link that came up; true when the peer had one before (a reconnect).
    bool count_link_up() noexcept { return links_up_.fetch_add(1) > 0; }
    /// Links that came up to this peer, over every sender it had.
    std::uint64_t links_up() const noexcept { return links_up_.load(); }

    /// The "cannot reach" limiter: true when a line may be logged now; `suppressed` is then
    /// the number of lines left out since the previous one.
    bool allow_cannot_reach_log(std::uint64_t& suppressed) {
        std::lock_guard lock(mutex_);
        if (!cannot_reach_log_.allow()) return false;
        suppressed = cannot_reach_log_.suppressed();
        return true;
    }

  private:
    std::mutex mutex_;
    const void* holder_ = nullptr;                // guarded by mutex_
    std::vector<std::function<void()>> waiters_;  // guarded by mutex_
    log_throttle cannot_reach_log_;               // guarded by mutex_
    std::atomic<std::uint64_t> live_{0}, max_live_{0}, links_up_{0};
};

}  // namespace hearth::cluster::detail
