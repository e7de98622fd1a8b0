#pragma once
// The service the whole-server fuzz targets (cluster_link, gate_connection) call into: "echo.echo"
// answers its request, "echo.say" takes a notify. The targets check every answer against it.

#include <nlohmann/json.hpp>

#include "framework/service.hpp"

namespace hearth::fuzz {

inline constexpr rpc::method<nlohmann::json, nlohmann::json> echo_m{"echo.echo"};
inline constexpr rpc::method<nlohmann::json, void> say_m{"echo.say"};

class echo_service : public service {
  public:
    echo_service() {
        handle(echo_m, [](nlohmann::json j) -> awaitable<nlohmann::json> { co_return j; });
        handle(say_m, [](nlohmann::json) -> awaitable<void> { co_return; });
    }
};

}  // namespace hearth::fuzz
