// Fire-and-forget session operations: their failures are counted and logged, and the try_
// forms return them.
#include "session/ref.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "framework/metrics.hpp"
#include "framework/node.hpp"
#include "session/group.hpp"
#include "tests/framework/harness.hpp"

using namespace hearth;
using namespace hearth::testing;

namespace {

/// The value of hearth_session_send_failures_total{op="<op>"} in the node's metrics, 0 if absent.
double send_failures(node& n, const std::string& op) {
    const std::string text = n.metrics().render();
    const std::string key = "hearth_session_send_failures_total{op=\"" + op + "\"} ";
    const auto at = text.find(key);
    if (at == std::string::npos) return 0;
    return std::stod(text.substr(at + key.size()));
}

}  // namespace

TEST_CASE("a fire-and-forget session operation that fails is counted; its try_ form returns the error") {
    node n(test_config("alone"));  // no cluster: a gate on another node is unreachable
    n.start();
    const session::ref elsewhere("gate-9", 5);
    auto tried =
        run_on(n, 0, [elsewhere]() -> awaitable<result<void>> { co_return elsewhere.try_push("onX", 1); });
    REQUIRE_FALSE(tried);
    CHECK(tried.code() == rpc::errc::unreachable);
    CHECK(send_failures(n, "push") == 0);  // the try_ form reports, it does not count

    run_on(n, 0, [elsewhere]() -> awaitable<void> {
        elsewhere.push("onX", 1);
        elsewhere.push("onX", 2);
        elsewhere.kick("bye");
        elsewhere.set("k", "v");
        session::group g("g");
        g.add(elsewhere);
        g.broadcast("onY", 3);
        g.multicast("onY", 4, [](const session::ref&) { return true; });
        co_return;
    });
    CHECK(send_failures(n, "push") == 2);
    CHECK(send_failures(n, "kick") == 1);
    CHECK(send_failures(n, "set") == 1);
    CHECK(send_failures(n, "broadcast") == 1);
    CHECK(send_failures(n, "multicast") == 1);
}
