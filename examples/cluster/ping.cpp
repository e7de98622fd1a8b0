#include "ping.hpp"

#include <algorithm>
#include <cstdio>

#include "framework/node.hpp"
#include "framework/timer.hpp"

namespace cluster_example {

ping_service::ping_service() {
    handle(ping, &ping_service::on_ping);
}

hearth::awaitable<hearth::result<nlohmann::json>> ping_service::on_ping(nlohmann::json req) {
    const auto served = ++served_;
    const auto ms = req.is_object() ? std::clamp<long>(req.value("sleep_ms", 0L), 0L, 60000L) : 0L;
    const std::chrono::nanoseconds pause = std::chrono::milliseconds(ms);
    if (ms > 0) co_await hearth::try_sleep(pause);
    char incarnation[20];
    std::snprintf(incarnation, sizeof incarnation, "%016llx",
                  static_cast<unsigned long long>(node().incarnation()));
    nlohmann::json out;
    out["node"] = node().name();
    out["incarnation"] = incarnation;
    out["served"] = served;
    co_return out;
}

}  // namespace cluster_example
