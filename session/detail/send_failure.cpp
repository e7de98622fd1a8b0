#include "session/detail/send_failure.hpp"

#include <chrono>
#include <cstdint>
#include <string>

#include <spdlog/spdlog.h>

#include "framework/metrics.hpp"
#include "framework/node.hpp"
#include "framework/worker.hpp"

namespace hearth::session::detail {

void note_send_failure(std::string_view op, const result<void>& r) {
    if (r) return;
    worker* w = worker::current();
    if (!w) return;  // the operation itself threw before it could fail this way
    node& self = w->owner();
    self.metrics()
        .counter("hearth_session_send_failures_total",
                 "Fire-and-forget session operations (push, kick, set, broadcast, multicast) that were not "
                 "accepted, by operation.",
                 {{"op", std::string(op)}})
        .add();
    // One line per second per worker thread, with the count of the failures it stands for.
    thread_local clock::time_point last_line{};
    thread_local std::uint64_t unlogged = 0;
    ++unlogged;
    const auto now = clock::now();
    if (last_line != clock::time_point{} && now - last_line < std::chrono::seconds(1)) return;
    self.log().warn("A session {} was not sent: {} ({} such failure(s) on this worker since the last line).",
                    op, r.error().describe(), unlogged);
    last_line = now;
    unlogged = 0;
}

}  // namespace hearth::session::detail
