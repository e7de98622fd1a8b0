// hearth_example_cluster: a multi-node chat. One gate node (clients connect there) and game
// nodes that host examples/chat's room service; the gate forwards room.join / room.message to a
// game node (sticky per session) and the rooms push back through the gate. Every node has a
// cluster listener and an admin endpoint (GET /cluster, POST /cluster/reload, GET /sessions, ...)
// and hosts "ping" (ping.hpp). Everything else is hearth::app (app/application.hpp).
//
//   hearth_example_cluster [--config FILE] [--role all]       # every node of "start", as children
//   hearth_example_cluster [--config FILE] --node NAME [--cluster FILE] [--admin-port N]
//                          [--log-level L]
//   hearth_example_cluster [--config FILE] --check-config | --print-config | --version | --help
//
// Without --node it starts one child process per node listed in "start" (gate-1, game-1,
// game-2), prefixes their output lines with "[NAME] " and forwards SIGINT/SIGTERM to them (a
// second signal kills them). --node runs one node in this process. --cluster FILE takes the
// cluster configuration from FILE instead of the "cluster" member of --config; it is also the
// file an empty POST /cluster/reload re-reads. A node prints "admin http://HOST:PORT",
// "cluster HOST:PORT", a gate its tcp://, ws:// and http:// addresses, then "ready NAME".

#include "app/application.hpp"
#include "assets.hpp"
#include "ping.hpp"
#include "room.hpp"
#include "session/gate_options.hpp"

#ifndef HEARTH_CLUSTER_EXAMPLE_CONFIG
#define HEARTH_CLUSTER_EXAMPLE_CONFIG "examples/cluster/config.json"
#endif

int main(int argc, char** argv) {
    hearth::app::application app("hearth_example_cluster");
    app.default_config_file(HEARTH_CLUSTER_EXAMPLE_CONFIG);
    app.add_service<chat::room>("room");
    app.add_service<cluster_example::ping_service>("ping", hearth::app::placement::every_node);
    app.configure_gate([](hearth::session::gate_options& g) {  // the chat page on the gate's HTTP port
        g.static_files["/index.html"] =
            hearth::session::static_file{"text/html; charset=utf-8", chat::index_html};
    });
    return app.run(argc, argv);
}
