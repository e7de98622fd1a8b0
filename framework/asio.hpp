#pragma once
// The Asio names Hearth's public API uses, in one place. Including this pulls in Asio's
// coroutine support but not its sockets; heavier headers stay in .cpp files.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hearth {
namespace asio = boost::asio;
using asio::awaitable;
using clock = std::chrono::steady_clock;
/// The completion token for `auto [ec, n] = co_await op(..., tuple_awaitable)`: the error
/// comes back as a value instead of an exception.
inline constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
}  // namespace hearth
