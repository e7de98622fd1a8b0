#include "cluster/membership.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>

namespace hearth::cluster {

std::string_view to_string(node_state s) noexcept {
    switch (s) {
        case node_state::unknown:
            return "unknown";
        case node_state::connecting:
            return "connecting";
        case node_state::up:
            return "up";
        case node_state::down:
            return "down";
        case node_state::left:
            return "left";
        case node_state::removed:
            return "removed";
    }
    return "unknown";
}

std::string_view to_string(membership_event_kind k) noexcept {
    switch (k) {
        case membership_event_kind::node_up:
            return "node_up";
        case membership_event_kind::node_down:
            return "node_down";
        case membership_event_kind::node_left:
            return "node_left";
        case membership_event_kind::node_removed:
            return "node_removed";
        case membership_event_kind::node_address_changed:
            return "node_address_changed";
    }
    return "unknown";
}

// ---- subscription ----------------------------------------------------------------------------

struct detail::subscription_waiter {
    virtual ~subscription_waiter() = default;
    virtual void complete(boost::system::error_code ec, membership_event e) = 0;
    std::shared_ptr<std::atomic<bool>> cancelled;  ///< set by the wait's cancellation slot
};

subscription::subscription() = default;
subscription::~subscription() = default;

namespace {

template <class Handler>
struct waiter_impl final : detail::subscription_waiter {
    template <class H>
    explicit waiter_impl(H&& h) : handler(std::forward<H>(h)) {}
    void complete(boost::system::error_code ec, membership_event e) override {
        asio::get_associated_cancellation_slot(handler).clear();
        std::move(handler)(ec, std::move(e));
    }
    Handler handler;
};

}  // namespace

void subscription::post_completion(std::unique_lock<std::mutex>& lock, boost::system::error_code ec,
                                   membership_event e) {
    auto w = std::move(waiter_);
    auto ex = waiter_ex_;
    lock.unlock();
    // Completes the waiter on the subscriber's executor, never inside the caller's frame. If the
    // wait was cancelled after the event was taken for it (the timer of `next() || timer` won
    // the race), the event goes back to the front of the queue instead of being lost.
    asio::post(ex, [self = shared_from_this(), w = std::move(w), ec, e = std::move(e)]() mutable {
        if (!ec && w->cancelled->load()) {
            std::lock_guard relock(self->mutex_);
            self->events_.push_front(std::move(e));
            self->cv_.notify_all();
            e = membership_event{};
            ec = asio::error::operation_aborted;
        }
        w->complete(ec, std::move(e));
    });
}

void subscription::complete_locked(std::unique_lock<std::mutex>& lock) {
    if (!waiter_) return;
    if (!events_.empty()) {
        auto e = std::move(events_.front());
        events_.pop_front();
        post_completion(lock, {}, std::move(e));
    } else if (closed_) {
        post_completion(lock, asio::error::operation_aborted, {});
    }
}

// The initiation of next(), a named type rather than a lambda inside a co_await expression:
// GCC 12 destroys class-type temporaries of a co_await expression twice, and a closure holding
// a shared_ptr and an executor is one (that was the heap corruption seen when next() was
// cancelled through `next() || timer`). next() is therefore not a coroutine at all; it returns
// the awaitable that async_initiate builds.
struct subscription::next_op {
    std::shared_ptr<subscription> self;

    template <class Handler>
    void operator()(Handler&& h) const {
        auto ex = asio::get_associated_executor(h);
        auto slot = asio::get_associated_cancellation_slot(h);
        std::unique_lock lock(self->mutex_);
        auto cancelled = std::make_shared<std::atomic<bool>>(false);
        if (slot.is_connected()) {
            slot.assign([weak = std::weak_ptr<subscription>(self), cancelled](asio::cancellation_type) {
                // Runs inside the canceller's frame: it only flags the wait and posts the
                // completion; the handler is never invoked (or destroyed) here.
                cancelled->store(true);
                auto s = weak.lock();
                if (!s) return;
                std::unique_lock lock(s->mutex_);
                if (!s->waiter_) return;  // already completing; the posted completion sees the flag
                s->post_completion(lock, asio::error::operation_aborted, {});
            });
        }
        self->waiter_ = std::make_unique<waiter_impl<std::decay_t<Handler>>>(std::forward<Handler>(h));
        self->waiter_->cancelled = std::move(cancelled);
        self->waiter_ex_ = ex;
        self->complete_locked(lock);
    }
};

awaitable<membership_event> subscription::next() {
    return asio::async_initiate<const asio::use_awaitable_t<>&,
                                void(boost::system::error_code, membership_event)>(
        next_op{shared_from_this()}, asio::use_awaitable);
}

std::optional<membership_event> subscription::wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty() || closed_; })) return std::nullopt;
    if (events_.empty()) return std::nullopt;
    auto e = std::move(events_.front());
    events_.pop_front();
    return e;
}

std::optional<membership_event> subscription::try_next() {
    std::lock_guard lock(mutex_);
    if (events_.empty()) return std::nullopt;
    auto e = std::move(events_.front());
    events_.pop_front();
    return e;
}

void subscription::close() {
    std::unique_lock lock(mutex_);
    closed_ = true;
    cv_.notify_all();
    complete_locked(lock);
}

std::size_t subscription::pending() const {
    std::lock_guard lock(mutex_);
    return events_.size();
}

void subscription::push(const membership_event& e) {
    std::unique_lock lock(mutex_);
    if (closed_) return;
    events_.push_back(e);
    cv_.notify_all();
    complete_locked(lock);
}

// ---- membership ------------------------------------------------------------------------------

std::uint64_t membership::add(std::string_view node) {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(node);
    if (it == nodes_.end()) it = nodes_.emplace(std::string(node), entry{}).first;
    auto& e = it->second;
    if (e.state == node_state::removed) e = entry{};
    // A new owner each time: the sender created for this addition is the only one whose
    // reports count from now on.
    e.owner = next_owner_++;
    return e.owner;
}

bool membership::remove(std::string_view node) {
    std::unique_lock lock(mutex_);
    auto it = nodes_.find(node);
    if (it == nodes_.end() || it->second.state == node_state::removed) return false;
    it->second.state = node_state::removed;
    it->second.owner = 0;
    it->second.services.clear();
    membership_event ev;
    ev.kind = membership_event_kind::node_removed;
    ev.node = std::string(node);
    auto a = announce_locked(std::move(ev));
    lock.unlock();
    run_callbacks(a);
    return true;
}

void membership::connecting(std::string_view node, std::uint64_t owner) {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(node);
    if (it == nodes_.end() || it->second.owner != owner) return;
    // Only a node never seen up shows "connecting"; a down or left node keeps its state
    // while the sender retries.
    if (it->second.state == node_state::unknown) it->second.state = node_state::connecting;
}

void membership::up(std::string_view node, std::uint64_t owner, std::uint64_t incarnation,
                    std::vector<std::string> services) {
    std::unique_lock lock(mutex_);
    auto it = nodes_.find(node);
    if (it == nodes_.end() || it->second.owner != owner) return;
    auto& e = it->second;
    e.services = std::move(services);
    std::sort(e.services.begin(), e.services.end());
    if (e.state == node_state::up && e.incarnation == incarnation) return;
    const bool was_up = e.state == node_state::up;
    e.state = node_state::up;
    e.incarnation = incarnation;
    std::optional<announcement> restart;
    if (was_up) {
        // A new incarnation without an observed failure in between: report the restart as a
        // down then an up, so subscribers drop per-incarnation state.
        membership_event d;
        d.kind = membership_event_kind::node_down;
        d.node = std::string(node);
        d.reason = "restarted with a new incarnation";
        restart = announce_locked(std::move(d));
    }
    membership_event ev;
    ev.kind = membership_event_kind::node_up;
    ev.node = std::string(node);
    ev.incarnation = incarnation;
    auto a = announce_locked(std::move(ev));
    lock.unlock();
    if (restart) run_callbacks(*restart);
    run_callbacks(a);
}

void membership::down(std::string_view node, std::uint64_t owner, std::string reason) {
    std::unique_lock lock(mutex_);
    auto it = nodes_.find(node);
    if (it == nodes_.end() || it->second.owner != owner) return;
    auto& e = it->second;
    if (e.state != node_state::up) return;  // left stays left; never-up nodes have no event
    e.state = node_state::down;
    e.services.clear();
    membership_event ev;
    ev.kind = membership_event_kind::node_down;
    ev.node = std::string(node);
    ev.incarnation = e.incarnation;
    ev.reason = std::move(reason);
    auto a = announce_locked(std::move(ev));
    lock.unlock();
    run_callbacks(a);
}

void membership::left(std::string_view node, std::uint64_t owner, std::string reason) {
    std::unique_lock lock(mutex_);
    auto it = nodes_.find(node);
    if (it == nodes_.end() || it->second.owner != owner) return;
    auto& e = it->second;
    if (e.state == node_state::left || e.state == node_state::removed) return;
    e.state = node_state::left;
    e.services.clear();
    membership_event ev;
    ev.kind = membership_event_kind::node_left;
    ev.node = std::string(node);
    ev.incarnation = e.incarnation;
    ev.reason = std::move(reason);
    auto a = announce_locked(std::move(ev));
    lock.unlock();
    run_callbacks(a);
}

void membership::address_changed(std::string_view node, std::optional<endpoint> from,
                                 std::optional<endpoint> to) {
    std::unique_lock lock(mutex_);
    auto it = nodes_.find(node);
    if (it == nodes_.end() || it->second.state == node_state::removed || from == to) return;
    membership_event ev;
    ev.kind = membership_event_kind::node_address_changed;
    ev.node = std::string(node);
    ev.address = std::move(to);
    ev.previous = std::move(from);
    auto a = announce_locked(std::move(ev));
    lock.unlock();
    run_callbacks(a);
}

node_state membership::state(std::string_view node) const {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(node);
    return it == nodes_.end() ? node_state::unknown : it->second.state;
}

std::map<std::string, node_state> membership::states() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, node_state> out;
    for (auto& [name, e] : nodes_) out.emplace(name, e.state);
    return out;
}

std::vector<std::string> membership::nodes_hosting(std::string_view service) const {
    std::vector<std::string> out;
    std::lock_guard lock(mutex_);
    for (auto& [name, e] : nodes_)
        if (e.state == node_state::up && std::binary_search(e.services.begin(), e.services.end(), service))
            out.push_back(name);
    return out;
}

std::vector<std::string> membership::services_of(std::string_view node) const {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(node);
    if (it == nodes_.end() || it->second.state != node_state::up) return {};
    return it->second.services;
}

std::shared_ptr<subscription> membership::subscribe() {
    auto s = std::make_shared<subscription>();
    std::lock_guard lock(mutex_);
    subscribers_.push_back(s);
    return s;
}

std::uint64_t membership::on_event(callback cb) {
    std::lock_guard lock(mutex_);
    const auto id = next_callback_++;
    callbacks_.emplace(id, std::make_shared<callback>(std::move(cb)));
    return id;
}

void membership::remove_callback(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    callbacks_.erase(id);
}

std::uint64_t membership::event_count(membership_event_kind k) const {
    std::lock_guard lock(mutex_);
    return counts_[static_cast<std::size_t>(k)];
}

membership::announcement membership::announce_locked(membership_event e) {
    ++counts_[static_cast<std::size_t>(e.kind)];
    std::erase_if(subscribers_, [](const std::weak_ptr<subscription>& w) { return w.expired(); });
    for (auto& w : subscribers_)
        if (auto s = w.lock()) s->push(e);
    announcement a{std::move(e), {}};
    a.callbacks.reserve(callbacks_.size());
    for (auto& [id, cb] : callbacks_) a.callbacks.push_back(cb);
    return a;
}

void membership::run_callbacks(const announcement& a) {
    for (auto& cb : a.callbacks) {
        try {
            (*cb)(a.event);
        } catch (...) {
            // A subscriber's failure must not stop the cluster; nothing to report it to here.
        }
    }
}

}  // namespace hearth::cluster
