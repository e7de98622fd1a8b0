// hearth_example_chat: Nano's chat demo on Hearth. A gate (TCP, WebSocket, and the chat page
// over HTTP on the WebSocket port) and a "room" service.
//
//   hearth_example_chat [--config FILE] [--tcp-port N] [--ws-port N] [--host H]
//
// Without --config it uses the built-in config.json. Prints, once listening:
//   tcp://HOST:PORT
//   ws://HOST:PORT/PATH
//   http://HOST:PORT/
// SIGINT/SIGTERM stop the node gracefully (clients are kicked with "server shutting down");
// a second signal exits at once.

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "assets.hpp"
#include "framework/node.hpp"
#include "framework/signals.hpp"
#include "room.hpp"
#include "session/gate.hpp"

namespace {

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
            std::cout
                << "usage: hearth_example_chat [--config FILE] [--host H] [--tcp-port N] [--ws-port N]\n";
            return 0;
        }
    }
    nlohmann::json config;
    try {
        const std::string path = flag(argc, argv, "config", "");
        if (path.empty()) {
            config = nlohmann::json::parse(chat::default_config);
        } else {
            std::ifstream in(path);
            if (!in) {
                std::cerr << "hearth_example_chat: cannot read " << path << "\n";
                return 2;
            }
            config = nlohmann::json::parse(in);
        }
    } catch (const std::exception& e) {
        std::cerr << "hearth_example_chat: the configuration is not valid JSON: " << e.what() << "\n";
        return 2;
    }

    hearth::node_config node_config;
    hearth::session::gate_options gate;
    try {
        const auto& n = config.at("node");
        node_config.name = n.value("name", std::string("chat"));
        node_config.threads = n.value("threads", 0u);
        node_config.log_level = n.value("log_level", std::string("info"));
        gate = hearth::session::gate_options::from_json(config.at("gate"));
        gate.host = flag(argc, argv, "host", gate.host);
        gate.tcp_port = std::stoi(flag(argc, argv, "tcp-port", std::to_string(gate.tcp_port)));
        gate.ws_port = std::stoi(flag(argc, argv, "ws-port", std::to_string(gate.ws_port)));
    } catch (const std::exception& e) {
        std::cerr << "hearth_example_chat: bad configuration: " << e.what() << "\n";
        return 2;
    }
    gate.static_files["/index.html"] =
        hearth::session::static_file{"text/html; charset=utf-8", chat::index_html};

    hearth::node node(node_config);
    auto& g = node.add_service<hearth::session::gate>("gate", gate);
    node.add_service<chat::room>("room");
    hearth::signal_watcher signals(node);  // first SIGINT/SIGTERM: graceful; second: exit now
    node.start();
    if (!g.wait_listening(std::chrono::seconds(10))) {
        std::cerr << "hearth_example_chat: " << g.listen_error() << "\n";
        node.stop();
        return 1;
    }
    if (!g.tcp_url().empty()) std::cout << g.tcp_url() << "\n";
    if (!g.ws_url().empty()) std::cout << g.ws_url() << "\n" << g.http_url() << "\n";
    std::cout << std::flush;

    node.wait();
    return node.last_shutdown().ok() ? 0 : 1;
}
