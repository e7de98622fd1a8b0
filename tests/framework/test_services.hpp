#pragma once
// Services and methods shared by the framework tests.

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/call.hpp"
#include "framework/timer.hpp"

namespace hearth::testing {

struct echo_req {
    std::string text;
    int n = 0;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(echo_req, text, n)
};
struct echo_resp {
    std::string text;
    int n = 0;
    std::string served_by;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(echo_resp, text, n, served_by)
};
struct wait_req {
    int ms = 0;
    int tag = 0;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(wait_req, ms, tag)
};

inline constexpr rpc::method<echo_req, echo_resp> echo_m{"echo.echo"};
inline constexpr rpc::method<echo_req, echo_resp> fail_m{"echo.fail"};
inline constexpr rpc::method<echo_req, echo_resp> refuse_m{"echo.refuse"};
inline constexpr rpc::method<echo_req, echo_resp> missing_m{"echo.missing"};
inline constexpr rpc::method<wait_req, int> wait_m{"echo.wait"};
inline constexpr rpc::method<int, void> record_m{"echo.record"};
inline constexpr rpc::method<int, std::vector<int>> history_m{"echo.history"};
/// Same route as echo_m, other types: a local call with it is a type mismatch.
inline constexpr rpc::method<int, int> echo_wrong_types_m{"echo.echo"};

/// echo: answers, fails, refuses, waits, and records the order of what it receives.
class echo_service : public service {
  public:
    echo_service() {
        handle(echo_m, &echo_service::on_echo);
        handle(fail_m, [](echo_req) -> awaitable<echo_resp> {
            throw std::runtime_error("deliberate failure");
            co_return echo_resp{};
        });
        handle(refuse_m, [](echo_req req) -> awaitable<result<echo_resp>> {
            co_return app_error("refused", "I refuse " + req.text + ".");
        });
        handle(wait_m, &echo_service::on_wait);
        handle(record_m, [this](int v) -> awaitable<void> {
            history_.push_back(v);
            co_return;
        });
        handle(history_m, [this](int) -> awaitable<std::vector<int>> { co_return history_; });
    }

    std::vector<int> started;   // tags, in the order the handlers started
    std::vector<int> finished;  // tags, in the order the handlers finished
    int in_flight = 0;
    int max_in_flight = 0;
    int late_finishes = 0;

  private:
    awaitable<echo_resp> on_echo(const call_context& ctx, echo_req req) {
        co_return echo_resp{req.text, req.n, ctx.source.empty() ? name() : name() + "<-" + ctx.source};
    }
    awaitable<int> on_wait(wait_req req) {
        started.push_back(req.tag);
        max_in_flight = std::max(max_in_flight, ++in_flight);
        co_await sleep(std::chrono::milliseconds(req.ms));
        --in_flight;
        finished.push_back(req.tag);
        co_return req.tag;
    }

    std::vector<int> history_;
};

}  // namespace hearth::testing
