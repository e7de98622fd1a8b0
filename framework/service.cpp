#include "framework/service.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "framework/detail/call_errors.hpp"
#include "framework/log.hpp"
#include "framework/node.hpp"
#include "framework/worker.hpp"

namespace hearth {

service::~service() = default;

asio::any_io_executor service::executor() const {
    return home_->executor();
}

awaitable<void> service::on_start() {
    co_return;
}
awaitable<void> service::on_stop() {
    co_return;
}

std::vector<std::string> service::routes() const {
    std::vector<std::string> out;
    out.reserve(handlers_.size());
    for (const auto& [route, h] : handlers_) out.push_back(route);
    std::sort(out.begin(), out.end());
    return out;
}

void service::attach(hearth::node& n, worker& home, std::string name, std::shared_ptr<spdlog::logger> log) {
    node_ = &n;
    home_ = &home;
    name_ = std::move(name);
    address_ = name_ + "@" + n.name();
    log_ = std::move(log);
    if (capacity_ == 0) capacity_ = n.config().mailbox_capacity;
}

void service::add_handler(std::string_view route, std::unique_ptr<detail::handler_base> h) {
    auto [it, inserted] = handlers_.try_emplace(std::string(route), std::move(h));
    if (!inserted)
        throw std::logic_error("hearth::service: route '" + std::string(route) + "' is registered twice.");
}

bool service::try_reserve() noexcept {
    if (queued_.fetch_add(1, std::memory_order_relaxed) >= capacity_) {
        queued_.fetch_sub(1, std::memory_order_relaxed);
        return false;
    }
    return true;
}

std::size_t service::try_reserve_up_to(std::size_t n) noexcept {
    const std::size_t before = queued_.fetch_add(n, std::memory_order_relaxed);
    const std::size_t room = before >= capacity_ ? 0 : capacity_ - before;
    const std::size_t granted = std::min(n, room);
    if (granted < n) queued_.fetch_sub(n - granted, std::memory_order_relaxed);
    return granted;
}

awaitable<void> service::run_start() {
    state_ = state::starting;
    try {
        co_await on_start();
    } catch (const std::exception& e) {
        log_->error("on_start failed: {}; the service runs anyway", e.what());
    }
    state_ = state::running;
    // Release what arrived meanwhile, in order, from the event loop (not from inside this
    // coroutine) so that runners are resumed from a clean stack.
    asio::post(home_->executor(), [this] {
        while (detail::message* m = held_.pop_front()) deliver(static_cast<detail::inbound*>(m));
    });
}

awaitable<void> service::run_stop() {
    co_await on_stop();
    state_ = state::stopped;
}

void service::deliver(detail::inbound* m) {
    switch (state_) {
        case state::created:
        case state::starting:
            held_.push_back(m);
            return;
        case state::stopped:
            cancel_reservation();
            m->reject(*home_, detail::call_errors::service_stopped(name_));
            m->dispose();
            return;
        case state::running:
            break;
    }
    if (!serial_) {
        home_->schedule(m);
        return;
    }
    if (serial_busy_) {
        serial_queue_.push_back(m);
        return;
    }
    serial_busy_ = true;
    home_->schedule(m);
}

void service::handler_finished() {
    if (!serial_) return;
    if (detail::message* next = serial_queue_.pop_front())
        home_->schedule_next(static_cast<detail::inbound*>(next));
    else
        serial_busy_ = false;
}

namespace detail {

void inbound::run(worker&) {
    target_.deliver(this);
}

rpc::error inbound::handler_failure(worker& w, std::exception_ptr e) const {
    detail::single_writer_add(w.stats().handler_failures);
    target_.log().error("handler {} failed: {}", route_, describe(e));
    return call_errors::handler_failed(route_);
}

rpc::error inbound::missing_handler() const {
    return call_errors::no_method(target_.name(), route_);
}

rpc::error inbound::type_mismatch() const {
    return call_errors::type_mismatch(target_.name(), route_);
}

}  // namespace detail
}  // namespace hearth
