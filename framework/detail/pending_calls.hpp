#pragma once
// The calls a worker is waiting on: who to resume, and when they time out.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "framework/asio.hpp"
#include "rpc/codec.hpp"
#include "rpc/result.hpp"

namespace hearth::detail {

/// The completion handler that resumes a coroutine suspended in `co_await call(...)`.
using resume_handler = asio::async_result<asio::use_awaitable_t<>, void()>::handler_type;

/// Where a call's outcome is written before its caller resumes. Lives in the caller's frame.
class reply_sink {
  public:
    virtual void set_error(rpc::error e) = 0;
    /// A reply that crossed the network: decode it into the caller's response type.
    virtual void set_encoded(rpc::codec c, std::string_view bytes) = 0;

  protected:
    ~reply_sink() = default;
};

/// Per-worker table of outstanding calls. Call ids are (generation << 32 | slot), so a reply
/// to a call that already timed out finds a newer generation and is recognised as late.
///
/// Timeouts: calls are kept in one FIFO list per distinct timeout duration. Deadlines within a
/// list are non-decreasing, so the earliest deadline overall is the earliest head, and both
/// insertion and removal are O(1). One steady_timer per worker is armed for that head.
/// Everything here runs on the owning worker's thread.
class pending_calls {
  public:
    explicit pending_calls(asio::io_context& ctx);
    pending_calls(const pending_calls&) = delete;
    pending_calls& operator=(const pending_calls&) = delete;
    ~pending_calls();

    /// Registers a call that will time out after `timeout`; the caller must attach() before it
    /// returns to the event loop (nothing can complete the call before that).
    std::uint64_t reserve(reply_sink* sink, std::chrono::nanoseconds timeout);
    /// Frees a reserved slot whose request could not be sent.
    void release(std::uint64_t id) noexcept;
    void attach(std::uint64_t id, resume_handler h);

    struct completion {
        reply_sink* sink;
        resume_handler handler;
    };
    /// Removes a live call and returns what is needed to complete it; nullopt when the id is
    /// unknown (the call already completed or timed out).
    std::optional<completion> take(std::uint64_t id);

    /// Completes a live call with an error; false when it was no longer live.
    bool fail(std::uint64_t id, rpc::error e);
    /// Completes every live call with an error (node shutdown).
    void fail_all(const rpc::error& e);

    std::size_t size() const noexcept { return live_; }
    std::uint64_t timeouts() const noexcept { return timeouts_; }

    /// Destroys every suspended caller without resuming it (node teardown).
    void discard() noexcept;

  private:
    static constexpr std::uint32_t npos = 0xffffffffu;

    struct slot {
        std::uint32_t generation = 1;
        bool live = false;
        reply_sink* sink = nullptr;
        std::optional<resume_handler> handler;
        clock::time_point deadline{};
        std::uint32_t prev = npos, next = npos;
        std::uint16_t list = 0;
    };
    struct deadline_list {
        std::chrono::nanoseconds timeout;
        std::uint32_t head = npos, tail = npos;
    };

    std::uint16_t list_for(std::chrono::nanoseconds timeout);
    void link(std::uint32_t index);
    void unlink(std::uint32_t index) noexcept;
    slot* find(std::uint64_t id) noexcept;
    void arm();
    void on_timer(std::uint64_t arm_generation);

    std::vector<slot> slots_;
    std::vector<std::uint32_t> free_;
    std::vector<deadline_list> lists_;
    std::size_t live_ = 0;
    std::uint64_t timeouts_ = 0;

    asio::steady_timer timer_;
    clock::time_point armed_for_ = clock::time_point::max();
    std::uint64_t arm_generation_ = 0;
};

}  // namespace hearth::detail
