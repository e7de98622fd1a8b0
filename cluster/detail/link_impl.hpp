#pragma once
// The bodies of link<Role> (cluster/detail/link.hpp). Included only by the .cpp files of the
// roles (sender.cpp, agent.cpp), so the Asio headers they need stay out of sender.hpp and
// agent.hpp.

#include <string>
#include <utility>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "cluster/detail/link.hpp"
#include "cluster/detail/link_io.hpp"
#include "framework/metrics.hpp"

namespace hearth::cluster::detail {

namespace link_constants {
// A read asks for this much room in the decoder.
inline constexpr std::size_t read_size = 64 * 1024;
// The write buffer keeps its capacity between writes, unless a burst inflated it past this
// (given back at once) or the link went idle with more than `idle_capacity` (given back then).
inline constexpr std::size_t max_capacity = 16 * 1024 * 1024;
inline constexpr std::size_t idle_capacity = 1024 * 1024;
}  // namespace link_constants

/// Runs `op` against a deadline of `limit`: nullopt when the deadline came first (`op` is then
/// cancelled and has finished). For handshakes, on both ends.
template <class T>
awaitable<std::optional<T>> within(std::chrono::milliseconds limit, awaitable<T> op) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer deadline(co_await asio::this_coro::executor);
    deadline.expires_after(limit);
    auto r = co_await (std::move(op) || deadline.async_wait(asio::use_awaitable));
    if (r.index() == 1) co_return std::nullopt;
    co_return std::optional<T>(std::move(std::get<0>(r)));
}

template <class Role>
void link<Role>::release_socket() noexcept {
    if (!stream_) return;
    shutdown_and_close(stream_->socket());
    stream_.reset();
}

template <class Role>
void link<Role>::close(failure why) {
    if (!open_) return;
    open_ = false;
    failure_ = std::move(why);
    role_.on_close();
    if (stream_) shutdown_and_close(stream_->socket());
    if (wake_timer_) wake_timer_->cancel();
    if (watchdog_timer_) watchdog_timer_->cancel();
}

template <class Role>
void link<Role>::abort(failure why) {
    if (open_) {
        close(std::move(why));
        return;
    }
    // Not yet open (connecting, handshaking, or not even started): the recorded failure tells
    // the attempt it is over; closing the socket ends what it is waiting for.
    if (!failure_) failure_ = std::move(why);
    if (stream_) shutdown_and_close(stream_->socket());
}

template <class Role>
void link<Role>::wake() {
    // One post per batch: the flag stays set until the wake-up has run on the worker.
    if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
    asio::post(ex_, [self = role_.shared_from_this(), this] {
        wake_pending_.store(false, std::memory_order_release);
        wake_here();
    });
}

template <class Role>
void link<Role>::leave() {
    if (open_) {
        leave_pending_ = true;
        wake_here();
    } else {
        leave_written_.store(true, std::memory_order_release);
        role_.on_progress();
    }
}

template <class Role>
awaitable<failure> link<Role>::run(link_timing timing) {
    using namespace asio::experimental::awaitable_operators;
    timing_ = timing;
    open_ = true;
    failure_.reset();
    close_after_write_.reset();
    leave_pending_ = false;
    leave_written_.store(false, std::memory_order_release);
    last_read_ = last_write_ = last_stamp_ = clock::now();
    co_await (reader() && writer() && watchdog());
    if (failure_) co_return std::move(*failure_);
    co_return failure{errc::link_closed, "The link was closed."};
}

template <class Role>
awaitable<void> link<Role>::reader() {
    auto self = role_.shared_from_this();
    for (;;) {
        auto buf = decoder_.prepare(link_constants::read_size);
        auto [ec, n] = co_await stream_->read_some(asio::buffer(buf.data(), buf.size()));
        decoder_.commit(n);
        if (ec) {
            close(failure{errc::link_closed, ec == asio::error::eof
                                                 ? std::string("The peer closed the link.")
                                                 : "Reading failed: " + ec.message() + "."});
            co_return;
        }
        const auto now = clock::now();
        last_read_ = now;
        counters_.bytes_in->add(n);
        std::uint64_t frames = 0;
        for (;;) {
            auto f = decoder_.next();
            if (!f) {
                role_.on_read_end();
                close(failure{f.error().code, "The peer sent an invalid frame: " + f.error().message});
                co_return;
            }
            if (!*f) break;
            ++frames;
            auto& fr = **f;
            if (role_.on_frame(fr, now)) continue;
            if (auto* hb = std::get_if<heartbeat_frame>(&fr)) {
                // Its arrival already refreshed last_read_; its stamps refine the clock estimate.
                clock_.on_stamps(hb->stamps, wire_time(now));
                role_.on_clock();
                continue;
            }
            role_.on_read_end();
            if (auto* rj = std::get_if<reject_frame>(&fr)) {
                close(failure{rj->code, "The peer rejected the link (" + std::string(to_string(rj->code)) +
                                            "): " + std::string(rj->text)});
            } else {
                close(failure{errc::unexpected_frame, "The peer sent an unexpected " +
                                                          std::string(to_string(type_of(fr))) + " frame."});
            }
            co_return;
        }
        role_.on_read_end();
        counters_.frames_in->add(frames);
    }
}

template <class Role>
void link<Role>::append_heartbeat(clock::time_point now) {
    frame f = heartbeat_frame{clock_.stamps(wire_time(now))};
    (void)encode(f, wbuf_);
    last_stamp_ = now;
}

template <class Role>
awaitable<void> link<Role>::writer() {
    auto self = role_.shared_from_this();
    for (;;) {
        if (!open_) co_return;
        wbuf_.clear();
        std::uint64_t frames = 0;
        bool leave_in_batch = false;
        if (leave_pending_) {
            leave_pending_ = false;
            leave_in_batch = true;
            leave_frame l;
            l.reason = "node shutting down";
            frame f = l;
            if (encode(f, wbuf_)) ++frames;
        }
        const auto now = clock::now();
        role_.fill_write(wbuf_, now, frames);
        const bool last = close_after_write_.has_value();
        if (!wbuf_.empty()) {
            // A busy link still carries clock stamps once per heartbeat interval (protocol.md 7.1).
            if (!last && now - last_stamp_ >= timing_.heartbeat) {
                append_heartbeat(now);
                ++frames;
            }
        } else if (now - last_write_ >= timing_.heartbeat) {
            append_heartbeat(now);
            ++frames;
        } else {
            // Idle: the role gives back what a burst left; so does the write buffer.
            role_.on_idle();
            if (wbuf_.capacity() > link_constants::idle_capacity) std::string().swap(wbuf_);
            wake_timer_->expires_at(last_write_ + timing_.heartbeat);
            co_await wake_timer_->async_wait(tuple_awaitable);
            continue;
        }
        auto [ec, n] = co_await stream_->write(asio::buffer(wbuf_));
        if (ec) {
            close(failure{errc::link_closed, "Writing failed: " + ec.message() + "."});
            co_return;
        }
        last_write_ = clock::now();
        counters_.frames_out->add(frames);
        counters_.bytes_out->add(n);
        if (leave_in_batch) leave_written_.store(true, std::memory_order_release);
        role_.on_progress();
        if (last) {
            close(std::move(*close_after_write_));
            co_return;
        }
        // Keep the buffer's capacity for the next batch, unless one huge batch inflated it.
        if (wbuf_.capacity() > link_constants::max_capacity) std::string().swap(wbuf_);
    }
}

template <class Role>
awaitable<void> link<Role>::watchdog() {
    auto self = role_.shared_from_this();
    const auto window = timing_.peer_heartbeat * timing_.silent_intervals;
    for (;;) {
        watchdog_timer_->expires_after(timing_.peer_heartbeat);
        co_await watchdog_timer_->async_wait(tuple_awaitable);
        if (!open_) co_return;
        const auto now = clock::now();
        if (now - last_read_ > window) {
            const auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_read_);
            close(failure{errc::link_silent, "Nothing was read from the peer for " +
                                                 std::to_string(silent.count()) + " ms (link silent)."});
            co_return;
        }
        role_.on_watchdog(now);
    }
}

}  // namespace hearth::cluster::detail
