#include "framework/timer.hpp"

#include <boost/asio/as_tuple.hpp>

namespace hearth {

awaitable<void> sleep(std::chrono::nanoseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

awaitable<bool> try_sleep(std::chrono::nanoseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return !ec;
}

ticker::ticker(asio::any_io_executor ex, std::chrono::nanoseconds period)
    : timer_(std::move(ex)), period_(period), start_(clock::now()) {
    if (period_ <= std::chrono::nanoseconds::zero())
        throw std::invalid_argument("hearth::ticker: the period must be positive");
}

awaitable<std::uint64_t> ticker::next() {
    const auto previous = index_;
    const auto now = clock::now();
    // The next due tick after the previous one; if we are late, the latest one already due.
    std::uint64_t due = previous + 1;
    const auto elapsed = static_cast<std::uint64_t>((now - start_) / period_);
    if (elapsed > due) due = elapsed;
    const auto deadline = start_ + period_ * static_cast<std::int64_t>(due);
    if (deadline > now) {
        timer_.expires_at(std::chrono::time_point_cast<clock::duration>(deadline));
        co_await timer_.async_wait(asio::use_awaitable);
    }
    index_ = due;
    co_return due - previous;
}

}  // namespace hearth
