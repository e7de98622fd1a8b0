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
#include <stdexcept>
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

// An integer flag: the whole text a decimal number in [lo, hi], else a clear usage error.
int int_flag(const std::string& name, const std::string& text, int lo, int hi) {
    std::size_t used = 0;
    int v = lo - 1;
    try {
        v = std::stoi(text, &used);
    } catch (const std::exception&) {
    }
    if (used != text.size() || v < lo || v > hi)
        throw std::invalid_argument("--" + name + " must be a number in " + std::to_string(lo) + ".." +
                                    std::to_string(hi) + ", not '" + text + "'");
    return v;
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
    unsigned threads = 0;
    try {
        gate.tcp_port = int_flag("port", flag(argc, argv, "port", "3260"), -1, 65535);
        gate.ws_port = int_flag("ws-port", flag(argc, argv, "ws-port", "3261"), -1, 65535);
        threads = static_cast<unsigned>(int_flag("threads", flag(argc, argv, "threads", "0"), 0, 1024));
    } catch (const std::exception& e) {
        std::cerr << "hearth_example_echo: " << e.what() << "\n";
        return 2;
    }
    gate.max_queued_bytes = 8 * 1024 * 1024;

    hearth::node_config config;
    config.name = "echo";
    config.threads = threads;
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
