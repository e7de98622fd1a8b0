#pragma once
// The bodies of call() and notify() (framework/call.hpp) and of service::call/notify.
// Included at the bottom of framework/call.hpp.

#include <string>
#include <utility>

#include "framework/detail/call_impl.hpp"

namespace hearth {

template <class Req, class Resp>
awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m, std::string_view address, Req req,
                             std::chrono::nanoseconds timeout) {
    return detail::do_call(m, address, std::move(req), timeout, std::string{}, nullptr);
}

template <class Req, class Resp>
awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m, Req req, std::chrono::nanoseconds timeout) {
    return detail::do_call(m, m.service(), std::move(req), timeout, std::string{}, nullptr);
}

template <class Req, class Resp, class... Args>
requires detail::request_from<Req, Args...> awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m,
                                                                         std::chrono::nanoseconds timeout,
                                                                         Args&&... args) {
    return detail::do_call(m, m.service(), detail::make_request<Req>(std::forward<Args>(args)...), timeout,
                           std::string{}, nullptr);
}

template <class Req, class Resp, class... Args>
requires detail::request_from<Req, Args...> awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m,
                                                                         std::string_view address,
                                                                         std::chrono::nanoseconds timeout,
                                                                         Args&&... args) {
    return detail::do_call(m, address, detail::make_request<Req>(std::forward<Args>(args)...), timeout,
                           std::string{}, nullptr);
}

template <class Req, class Resp>
awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m, std::string_view address, Req req,
                             std::chrono::nanoseconds timeout, call_context ctx) {
    return detail::do_call(m, address, std::move(req), timeout, std::move(ctx.source), std::move(ctx.client));
}

template <class Req, class Resp>
result<void> notify(const rpc::method<Req, Resp>& m, std::string_view address, Req req) {
    worker* w = worker::current();
    if (!w) throw std::logic_error("hearth::notify without a node must run on a worker thread.");
    return detail::do_notify(w->owner(), m, address, std::move(req), std::string{}, nullptr);
}

template <class Req, class Resp>
result<void> notify(const rpc::method<Req, Resp>& m, Req req) {
    return notify(m, m.service(), std::move(req));
}

template <class Req, class Resp>
result<void> notify(node& self, const rpc::method<Req, Resp>& m, std::string_view address, Req req,
                    call_context ctx) {
    return detail::do_notify(self, m, address, std::move(req), std::move(ctx.source), std::move(ctx.client));
}

// ---- service::call / service::notify: the same, with the service as the caller ------------

template <class Req, class Resp>
awaitable<result<Resp>> service::call(const rpc::method<Req, Resp>& m, std::string_view address, Req req,
                                      std::chrono::nanoseconds timeout) {
    return detail::do_call(m, address, std::move(req), timeout, address_, nullptr);
}

template <class Req, class Resp>
awaitable<result<Resp>> service::call(const rpc::method<Req, Resp>& m, Req req,
                                      std::chrono::nanoseconds timeout) {
    return detail::do_call(m, m.service(), std::move(req), timeout, address_, nullptr);
}

template <class Req, class Resp, class... Args>
requires detail::request_from<Req, Args...> awaitable<result<Resp>> service::call(
    const rpc::method<Req, Resp>& m, std::chrono::nanoseconds timeout, Args&&... args) {
    return detail::do_call(m, m.service(), detail::make_request<Req>(std::forward<Args>(args)...), timeout,
                           address_, nullptr);
}

template <class Req, class Resp, class... Args>
requires detail::request_from<Req, Args...> awaitable<result<Resp>> service::call(
    const rpc::method<Req, Resp>& m, std::string_view address, std::chrono::nanoseconds timeout,
    Args&&... args) {
    return detail::do_call(m, address, detail::make_request<Req>(std::forward<Args>(args)...), timeout,
                           address_, nullptr);
}

template <class Req, class Resp>
result<void> service::notify(const rpc::method<Req, Resp>& m, std::string_view address, Req req) {
    return detail::do_notify(*node_, m, address, std::move(req), address_, nullptr);
}

template <class Req, class Resp>
result<void> service::notify(const rpc::method<Req, Resp>& m, Req req) {
    return detail::do_notify(*node_, m, m.service(), std::move(req), address_, nullptr);
}

}  // namespace hearth
