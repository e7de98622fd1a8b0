#include "framework/wakeup.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>

namespace hearth {

struct wakeup::state {
    // Never expires: only notify() (cancel) and the waiter's own cancellation end a wait.
    explicit state(asio::any_io_executor ex) : timer(std::move(ex), asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;  // touched on its executor only
};

wakeup::wakeup(asio::any_io_executor waiter) : state_(std::make_shared<state>(std::move(waiter))) {}

void wakeup::notify() const {
    // Cancel on the waiter's executor: the waiter checks its condition and starts its wait
    // without suspending in between, so this lands either before the check (which then sees
    // the change) or during the wait (which it ends).
    asio::post(state_->timer.get_executor(), [s = state_] { s->timer.cancel(); });
}

awaitable<bool> wakeup::until(std::function<bool()> done) const {
    auto s = state_;
    for (;;) {
        if (done()) co_return true;
        auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none) co_return false;
        (void)co_await s->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

}  // namespace hearth
