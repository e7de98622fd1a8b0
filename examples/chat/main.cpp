// hearth_example_chat: Nano's chat demo on Hearth. A gate (TCP, WebSocket, and the chat page
// over HTTP on the WebSocket port) and a "room" service, on one node.
//
//   hearth_example_chat [--config FILE] [--host H] [--tcp-port N] [--ws-port N] [--log-level L]
//                       [--admin-port N] [--check-config] [--print-config] [--version] [--help]
//
// Without --config it uses the built-in config.json. Prints, once listening:
//   tcp://HOST:PORT
//   ws://HOST:PORT/PATH
//   http://HOST:PORT/
//   ready chat
// SIGINT/SIGTERM stop the node gracefully (clients are kicked with "server shutting down");
// a second signal exits at once. Exit status: 0 clean stop, 1 runtime failure, 2 usage error.

#include <CLI/CLI.hpp>

#include "app/application.hpp"
#include "assets.hpp"
#include "room.hpp"
#include "session/gate_options.hpp"

int main(int argc, char** argv) {
    hearth::app::application app("hearth_example_chat");
    std::optional<std::string> host;
    std::optional<int> tcp_port, ws_port;
    app.cli().add_option("--host", host, "The gate's address (overrides gate.host)");
    app.cli().add_option("--tcp-port", tcp_port, "The gate's TCP port; 0: any free port, -1: none");
    app.cli().add_option("--ws-port", ws_port,
                         "The gate's WebSocket and HTTP port; 0: any free port, -1: none");
    app.default_config(chat::default_config).add_service<chat::room>("room");
    app.configure_gate([&](hearth::session::gate_options& g) {
        g.host = host.value_or(g.host);
        g.tcp_port = tcp_port.value_or(g.tcp_port);
        g.ws_port = ws_port.value_or(g.ws_port);
        g.static_files["/index.html"] =
            hearth::session::static_file{"text/html; charset=utf-8", chat::index_html};
        g.static_files["/hearth-client.js"] =
            hearth::session::static_file{"text/javascript; charset=utf-8", chat::client_js};
    });
    return app.run(argc, argv);
}
