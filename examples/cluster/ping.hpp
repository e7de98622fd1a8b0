#pragma once
// "ping": a tiny service every node of the cluster example hosts, for health checks and the
// multi-process tests. ping.ping {"sleep_ms": N} waits N ms (default 0, at most 60000) and
// answers {"node": "...", "incarnation": "<hex>", "served": N}, N counting the pings whose
// handler this process ran, this one included (the multi-process tests check that a call
// whose deadline passed while the process was stopped never runs).

#include <cstdint>

#include <nlohmann/json.hpp>

#include "framework/service.hpp"

namespace cluster_example {

inline constexpr hearth::rpc::method<nlohmann::json, nlohmann::json> ping{"ping.ping"};

class ping_service : public hearth::service {
  public:
    ping_service();

  private:
    hearth::awaitable<hearth::result<nlohmann::json>> on_ping(nlohmann::json req);

    std::uint64_t served_ = 0;  // the service's worker only
};

}  // namespace cluster_example
