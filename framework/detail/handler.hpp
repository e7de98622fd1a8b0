#pragma once
// Type-erased handler entries: how a service's table maps a route to a coroutine.

#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>

#include "framework/asio.hpp"
#include "framework/call_context.hpp"
#include "rpc/codec.hpp"
#include "rpc/result.hpp"

namespace hearth::detail {

/// A unique address per (Req, Resp) pair: local calls check it before trusting a static_cast.
template <class Req, class Resp>
inline constexpr char type_tag_v = 0;

/// The outcome of a handler run for the network: an error, or the encoded response.
struct encoded_outcome {
    std::optional<rpc::error> error;
    std::string payload;
};

/// Where a handler run for an encoded request sends its outcome (implemented by the request
/// message that came from another node or from call_encoded()).
class encoded_target {
  public:
    virtual void reply(encoded_outcome&& out) = 0;
    /// Logs a handler's exception and returns the error the caller gets.
    virtual rpc::error failed(std::exception_ptr e) = 0;

  protected:
    ~encoded_target() = default;
};

class handler_base {
  public:
    explicit handler_base(const void* tag) : tag_(tag) {}
    virtual ~handler_base() = default;
    const void* tag() const noexcept { return tag_; }

    /// Decodes, runs the handler and encodes its outcome for `to`, in one coroutine frame
    /// besides the handler's own (the hot path of remote calls and gate requests). A payload
    /// that does not decode is answered bad_request without running the handler.
    virtual awaitable<void> run_encoded(const call_context& ctx, rpc::codec c, std::string_view payload,
                                        encoded_target& to) = 0;

  private:
    const void* tag_;
};

/// Where a local handler run sends its outcome (implemented by the local request message).
template <class Resp>
class reply_target {
  public:
    virtual void reply(result<Resp>&& r) = 0;
    /// Logs a handler's exception and returns the error the caller gets.
    virtual rpc::error failed(std::exception_ptr e) = 0;

  protected:
    ~reply_target() = default;
};

template <class Req, class Resp>
class typed_handler : public handler_base {
  public:
    typed_handler() : handler_base(&type_tag_v<Req, Resp>) {}
    /// Runs the handler for a local caller and hands the outcome to `to`; one coroutine frame
    /// besides the handler's own (this is the hot path of local calls).
    virtual awaitable<void> run_local(const call_context& ctx, Req req, reply_target<Resp>& to) = 0;
};

template <class T>
struct awaitable_value;
template <class T>
struct awaitable_value<awaitable<T>> {
    using type = T;
};

/// What a handler callable returns, given how it is called.
template <class F, class Req>
using handler_return_t =
    std::conditional_t<std::is_invocable_v<F&, const call_context&, Req&&>,
                       std::invoke_result<F&, const call_context&, Req&&>, std::invoke_result<F&, Req&&>>;

template <class F, class Req, class Resp>
consteval bool valid_handler() {
    if constexpr (std::is_invocable_v<F&, const call_context&, Req&&> || std::is_invocable_v<F&, Req&&>) {
        using R = typename handler_return_t<F, Req>::type;
        return std::is_same_v<R, awaitable<Resp>> || std::is_same_v<R, awaitable<result<Resp>>>;
    } else {
        return false;
    }
}

template <class Req, class Resp, class F>
class handler_impl final : public typed_handler<Req, Resp> {
  public:
    explicit handler_impl(F f) : f_(std::move(f)) {}

    awaitable<void> run_encoded(const call_context& ctx, rpc::codec c, std::string_view payload,
                                encoded_target& to) override {
        using R = typename handler_return_t<F, Req>::type;
        encoded_outcome out;
        auto req = rpc::decode<Req>(c, payload);
        if (!req) {
            out.error = std::move(req).error();
            to.reply(std::move(out));
            co_return;
        }
        std::exception_ptr failure;
        try {
            if constexpr (std::is_void_v<Resp> && std::is_same_v<R, awaitable<void>>) {
                co_await call_f(ctx, std::move(*req));
            } else {
                result<Resp> r = co_await call_f(ctx, std::move(*req));
                if (!r)
                    out.error = std::move(r).error();
                else if constexpr (!std::is_void_v<Resp>)
                    out.payload = rpc::encode(c, *r);
            }
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) out.error = to.failed(failure);
        to.reply(std::move(out));
    }

    awaitable<void> run_local(const call_context& ctx, Req req, reply_target<Resp>& to) override {
        using R = typename handler_return_t<F, Req>::type;
        std::optional<result<Resp>> r;
        std::exception_ptr failure;
        try {
            if constexpr (std::is_void_v<Resp> && std::is_same_v<R, awaitable<void>>) {
                co_await call_f(ctx, std::move(req));
                r.emplace();
            } else {
                r.emplace(co_await call_f(ctx, std::move(req)));
            }
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) r.emplace(to.failed(failure));
        to.reply(std::move(*r));
    }

  private:
    auto call_f(const call_context& ctx, Req&& req) {
        if constexpr (std::is_invocable_v<F&, const call_context&, Req&&>)
            return std::invoke(f_, ctx, std::move(req));
        else
            return std::invoke(f_, std::move(req));
    }

    F f_;
};

}  // namespace hearth::detail
