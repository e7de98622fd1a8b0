// hearth_example_hello: the README's service-model example, compiled so that it stays true.
// Starts a node, calls room.join twice (once failing with an application error), and stops.

#include <chrono>
#include <string>

#include <spdlog/logger.h>

#include "framework/call.hpp"
#include "framework/node.hpp"
#include "framework/signals.hpp"

struct join_req {
    std::string nick;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(join_req, nick)
};
struct join_resp {
    int members = 0;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(join_resp, members)
};

// A typed descriptor shared by caller and callee: route "service.method".
inline constexpr hearth::rpc::method<join_req, join_resp> join{"room.join"};

class room : public hearth::service {
  public:
    room() { handle(join, &room::on_join); }  // a wrong handler signature does not compile

  private:
    hearth::awaitable<hearth::result<join_resp>> on_join(join_req req) {
        if (req.nick.empty()) co_return hearth::app_error("bad_nick", "A nick is required.");
        co_return join_resp{++members_};  // no lock: a service runs on one worker
    }
    int members_ = 0;
};

int main() {
    hearth::node n({.name = "game-1", .threads = 2});
    n.add_service<room>("room");
    hearth::signal_watcher signals(n);  // SIGINT/SIGTERM: graceful stop
    n.start();
    n.spawn(0, [&]() -> hearth::awaitable<void> {
        for (std::string nick : {"ada", ""}) {
            // join_req{nick} for the method's own service, "room"; at most 1 s.
            auto r = co_await hearth::call(join, std::chrono::seconds(1), nick);
            if (r)
                n.log().info("members: {}", r->members);
            else
                n.log().warn("join failed: {}", r.error().describe());
        }
        n.request_stop();
    });
    n.wait();
    return n.last_shutdown().ok() ? 0 : 1;
}
