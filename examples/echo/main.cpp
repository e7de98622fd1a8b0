// hearth_example_echo: the smallest useful Hearth server. One service, "echo", whose handler
// "echo.echo" answers every client Request with its own payload, behind a gate on TCP and
// WebSocket.
//
//   hearth_example_echo [--host H] [--port N] [--ws-port N] [--threads N]
//
// Defaults: TCP 3260, WebSocket 3261 (the chat example has 3250/3251, so both can run at once).
// Prints "tcp://HOST:PORT" and "ws://HOST:PORT/ws" once listening; SIGINT/SIGTERM stop it
// gracefully (a second signal exits at once).

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "framework/node.hpp"
#include "framework/service.hpp"
#include "framework/signals.hpp"
#include "session/gate.hpp"

namespace {

inline constexpr hearth::rpc::method<nlohmann::json, nlohmann::json> echo_method{"echo.echo"};

class echo_service : public hearth::service {
  public:
    echo_service() { handle(echo_method, &echo_service::on_echo); }

  private:
    hearth::awaitable<nlohmann::json> on_echo(nlohmann::json request) { co_return request; }
};

std::string flag(int argc, char** argv, std::string_view name, std::string fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == std::string("--") + std::string(name)) return argv[i + 1];
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << "usage: hearth_example_echo [--host H] [--port N] [--ws-port N] [--threads N]\n";
            return 0;
        }
    }
    hearth::session::gate_options gate;
    gate.host = flag(argc, argv, "host", "127.0.0.1");
    gate.tcp_port = std::stoi(flag(argc, argv, "port", "3260"));
    gate.ws_port = std::stoi(flag(argc, argv, "ws-port", "3261"));
    gate.max_queued_bytes = 8 * 1024 * 1024;

    hearth::node_config config;
    config.name = "echo";
    config.threads = static_cast<unsigned>(std::stoul(flag(argc, argv, "threads", "0")));
    config.log_level = flag(argc, argv, "log-level", "warn");
    hearth::node node(config);
    auto& g = node.add_service<hearth::session::gate>("gate", gate);
    node.add_service<echo_service>("echo");
    hearth::signal_watcher signals(node);  // first SIGINT/SIGTERM: graceful; second: exit now
    node.start();
    if (!g.wait_listening(std::chrono::seconds(10))) {
        std::cerr << "hearth_example_echo: " << g.listen_error() << "\n";
        node.stop();
        return 1;
    }
    if (!g.tcp_url().empty()) std::cout << g.tcp_url() << "\n";
    if (!g.ws_url().empty()) std::cout << g.ws_url() << "\n";
    std::cout << std::flush;

    node.wait();
    return node.last_shutdown().ok() ? 0 : 1;
}
