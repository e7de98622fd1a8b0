#pragma once
// Logging: spdlog loggers named "node" or "node/component", never registered globally, so
// several nodes share a process without their names colliding.

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace spdlog {
class logger;
}

namespace hearth {

/// A logger writing to standard output with the name `name`, at `level` ("info", "debug"...;
/// an unknown name means info).
std::shared_ptr<spdlog::logger> make_logger(std::string_view name, std::string_view level);

/// The text a log line gives for a failure that escaped a coroutine or handler: the
/// exception's what(), or "a non-standard exception" for anything not derived from
/// std::exception. `e` must not be null. Never throws what `e` holds; any thread.
std::string describe(std::exception_ptr e);

/// Rate limiter for repeated identical log lines: allow() is true at most once per interval
/// for a key; suppressed() says how many were dropped since the last allowed line.
class log_throttle {
  public:
    explicit log_throttle(std::chrono::milliseconds interval) : interval_(interval) {}
    bool allow(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) noexcept {
        if (now - last_ >= interval_ || first_) {
            first_ = false;
            last_ = now;
            suppressed_last_ = suppressed_;
            suppressed_ = 0;
            return true;
        }
        ++suppressed_;
        return false;
    }
    /// Lines suppressed before the last allowed one.
    std::uint64_t suppressed() const noexcept { return suppressed_last_; }

  private:
    std::chrono::milliseconds interval_;
    std::chrono::steady_clock::time_point last_{};
    bool first_ = true;
    std::uint64_t suppressed_ = 0;
    std::uint64_t suppressed_last_ = 0;
};

}  // namespace hearth
