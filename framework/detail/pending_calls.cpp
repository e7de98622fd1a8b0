#include "framework/detail/pending_calls.hpp"

#include <time.h>

#include <boost/asio/post.hpp>

#include "framework/detail/call_errors.hpp"

namespace hearth::detail {
namespace {

/// now() from the kernel's coarse monotonic clock (the clock steady_clock reads, at tick
/// resolution), plus one tick so that a deadline computed from it is never early. Reading it
/// costs a few nanoseconds instead of a full clock_gettime(CLOCK_MONOTONIC): it is read
/// once per call.
clock::time_point coarse_now_rounded_up() noexcept {
#ifdef CLOCK_MONOTONIC_COARSE
    static const std::chrono::nanoseconds tick = [] {
        timespec res{};
        clock_getres(CLOCK_MONOTONIC_COARSE, &res);
        return std::chrono::seconds(res.tv_sec) + std::chrono::nanoseconds(res.tv_nsec);
    }();
    timespec ts{};
    if (tick <= std::chrono::milliseconds(10) && clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0)
        return clock::time_point(std::chrono::duration_cast<clock::duration>(
            std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec) + tick));
#endif
    return clock::now();
}

}  // namespace

pending_calls::pending_calls(asio::io_context& ctx) : timer_(ctx) {}

pending_calls::~pending_calls() {
    discard();
}

void pending_calls::discard() noexcept {
    // Destroying a resume_handler destroys the suspended coroutine stack it owns. Move the
    // handlers out first: that destruction may run arbitrary destructors.
    std::vector<resume_handler> doomed;
    for (auto& s : slots_) {
        if (s.handler) doomed.push_back(std::move(*s.handler));
        s.handler.reset();
        s.live = false;
    }
    slots_.clear();
    free_.clear();
    lists_.clear();
    live_ = 0;
    doomed.clear();
}

std::uint16_t pending_calls::list_for(std::chrono::nanoseconds timeout) {
    for (std::size_t i = 0; i < lists_.size(); ++i)
        if (lists_[i].timeout == timeout) return static_cast<std::uint16_t>(i);
    // A program uses a handful of distinct timeouts; a pathological one that uses thousands
    // still works, it only pays a linear scan here.
    lists_.push_back(deadline_list{timeout});
    return static_cast<std::uint16_t>(lists_.size() - 1);
}

std::uint64_t pending_calls::reserve(reply_sink* sink, std::chrono::nanoseconds timeout) {
    std::uint32_t index;
    if (!free_.empty()) {
        index = free_.back();
        free_.pop_back();
    } else {
        index = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    }
    slot& s = slots_[index];
    s.live = true;
    s.sink = sink;
    s.deadline = coarse_now_rounded_up() + timeout;
    s.list = list_for(timeout);
    link(index);
    ++live_;
    if (s.deadline < armed_for_) arm();
    return (std::uint64_t{s.generation} << 32) | index;
}

void pending_calls::attach(std::uint64_t id, resume_handler h) {
    if (slot* s = find(id)) s->handler.emplace(std::move(h));
}

void pending_calls::release(std::uint64_t id) noexcept {
    const auto index = static_cast<std::uint32_t>(id & 0xffffffffu);
    if (!find(id)) return;
    slot& s = slots_[index];
    unlink(index);
    s.live = false;
    s.sink = nullptr;
    s.handler.reset();
    ++s.generation;
    free_.push_back(index);
    --live_;
}

pending_calls::slot* pending_calls::find(std::uint64_t id) noexcept {
    const auto index = static_cast<std::uint32_t>(id & 0xffffffffu);
    const auto generation = static_cast<std::uint32_t>(id >> 32);
    if (index >= slots_.size()) return nullptr;
    slot& s = slots_[index];
    return (s.live && s.generation == generation) ? &s : nullptr;
}

std::optional<pending_calls::completion> pending_calls::take(std::uint64_t id) {
    slot* s = find(id);
    if (!s || !s->handler) return std::nullopt;
    completion c{s->sink, std::move(*s->handler)};
    release(id);
    return c;
}

bool pending_calls::fail(std::uint64_t id, rpc::error e) {
    auto c = take(id);
    if (!c) return false;
    c->sink->set_error(std::move(e));
    std::move(c->handler)();
    return true;
}

void pending_calls::fail_all(const rpc::error& e) {
    // Resuming a caller may start new calls; collect the ids first.
    std::vector<std::uint64_t> ids;
    for (std::uint32_t i = 0; i < slots_.size(); ++i)
        if (slots_[i].live) ids.push_back((std::uint64_t{slots_[i].generation} << 32) | i);
    for (auto id : ids) fail(id, e);
}

void pending_calls::link(std::uint32_t index) {
    slot& s = slots_[index];
    deadline_list& l = lists_[s.list];
    s.prev = l.tail;
    s.next = npos;
    if (l.tail != npos)
        slots_[l.tail].next = index;
    else
        l.head = index;
    l.tail = index;
}

void pending_calls::unlink(std::uint32_t index) noexcept {
    slot& s = slots_[index];
    deadline_list& l = lists_[s.list];
    if (s.prev != npos)
        slots_[s.prev].next = s.next;
    else
        l.head = s.next;
    if (s.next != npos)
        slots_[s.next].prev = s.prev;
    else
        l.tail = s.prev;
    s.prev = s.next = npos;
}

void pending_calls::arm() {
    clock::time_point earliest = clock::time_point::max();
    for (const auto& l : lists_)
        if (l.head != npos && slots_[l.head].deadline < earliest) earliest = slots_[l.head].deadline;
    if (earliest == armed_for_) return;
    armed_for_ = earliest;
    const auto generation = ++arm_generation_;
    if (earliest == clock::time_point::max()) {
        timer_.cancel();
        return;
    }
    timer_.expires_at(earliest);
    timer_.async_wait([this, generation](const boost::system::error_code& ec) {
        if (!ec) on_timer(generation);
    });
}

void pending_calls::on_timer(std::uint64_t arm_generation) {
    if (arm_generation != arm_generation_) return;  // re-armed since; a newer wait is pending
    armed_for_ = clock::time_point::max();
    const auto now = clock::now();
    for (std::size_t li = 0; li < lists_.size(); ++li) {
        // Re-read the list head each time: resuming a caller may add or complete calls.
        while (lists_[li].head != npos) {
            const std::uint32_t index = lists_[li].head;
            slot& s = slots_[index];
            if (s.deadline > now) break;
            const auto id = (std::uint64_t{s.generation} << 32) | index;
            const auto timeout_ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(lists_[li].timeout).count();
            ++timeouts_;
            if (!s.handler) {  // cannot happen (attach precedes any timer run); be safe anyway
                release(id);
                continue;
            }
            fail(id, call_errors::no_reply_within(std::chrono::milliseconds(timeout_ms)));
        }
    }
    arm();
}

}  // namespace hearth::detail
