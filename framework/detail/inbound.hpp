#pragma once
// Messages that start a handler: local calls and notifies, and requests from other nodes.

#include <string>
#include <string_view>

#include "framework/asio.hpp"
#include "framework/call_context.hpp"
#include "framework/detail/message.hpp"
#include "rpc/result.hpp"

namespace hearth {
class service;
class worker;
}  // namespace hearth

namespace hearth::detail {

/// A message for a service. It has already reserved a place in the service's mailbox. Running
/// it on the service's worker delivers it (service::deliver), which queues it for a runner;
/// the runner awaits execute().
class inbound : public message {
  public:
    inbound(service& target, std::string_view route, call_context ctx)
        : target_(target), route_(route), context_(std::move(ctx)) {}

    void run(worker& w) final;

    service& target() const noexcept { return target_; }
    std::string_view route() const noexcept { return route_; }
    const call_context& context() const noexcept { return context_; }

    /// Starts the handler: returns the coroutine that runs it and sends the reply, or an
    /// invalid awaitable when the message was answered at once (no such method, ...). The
    /// coroutine never throws (a throwing handler becomes a handler_failed reply and a log line).
    virtual awaitable<void> execute(worker& w) = 0;
    /// Answers without running the handler (the service stopped before the message started).
    virtual void reject(worker& w, rpc::error e) = 0;

  protected:
    /// Logs a handler's exception and returns the error the caller gets.
    rpc::error handler_failure(worker& w, std::exception_ptr e) const;
    rpc::error missing_handler() const;
    rpc::error type_mismatch() const;

    service& target_;
    std::string_view route_;  // points into a method descriptor or into a derived member
    call_context context_;
};

}  // namespace hearth::detail
