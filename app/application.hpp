#pragma once
// hearth::app::application: a node's main() in a few lines. It parses the standard command
// line (CLI11), reads one JSON configuration (app/config.hpp), creates the services the
// configuration places on this node from the ones the program registered, joins the cluster,
// serves the admin endpoint with every module's routes, prints the addresses, and runs until a
// signal or POST /shutdown.
//
//     int main(int argc, char** argv) {
//         hearth::app::application app("my_game");
//         app.add_service<room>("room");          // the configuration decides where it runs
//         return app.run(argc, argv);
//     }
//
// Command line: --config FILE, --node NAME, --cluster FILE, --admin-port N, --log-level L,
// --role all, --check-config, --print-config, --version, --help. Unknown flags are errors.
// Programs add their own flags through cli() (include <CLI/CLI.hpp> for that).
//
// A configuration of one node (no "nodes" map), or --node NAME, runs that node in this
// process. A configuration with "nodes" and no --node (or --role all) starts every node of
// "start" as a child process of this program (app/launcher.hpp): the local-development mode.
// Each child gets --config, --node NAME, and the --cluster and --log-level given to the
// launcher; options a program adds through cli() are not forwarded.
//
// A running node prints, on standard output and in this order: "admin http://HOST:PORT" (when
// it has an admin endpoint), "cluster HOST:PORT" (when it is in a cluster), its gate's
// "tcp://HOST:PORT", "ws://HOST:PORT/PATH" and "http://HOST:PORT/" (those the gate listens
// on), then "ready NAME".
//
// Exit status (run()): 0 when the node ran and every shutdown step succeeded (--help,
// --version, a valid --check-config, --print-config: 0 too); 1 for a runtime failure (a port
// that cannot be bound, a failed shutdown step, a launched node that failed); 2 for a usage or
// configuration error, every problem listed on standard error.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "framework/node.hpp"

namespace CLI {
class App;
}
namespace hearth::session {
struct gate_options;
}

namespace hearth::app {

/// Where a registered service runs.
enum class placement {
    configured,  ///< on the nodes whose configuration lists it (default)
    every_node,  ///< on every node, whatever the configuration says (health checks, ...)
};

class application {
  public:
    /// `program` names the program in --help, --version and error messages.
    explicit application(std::string program);
    ~application();
    application(const application&) = delete;
    application& operator=(const application&) = delete;

    /// Registers service type T under `name`; a node whose configuration lists `name` creates
    /// one T from copies of `args`. Call before run(). Throws std::invalid_argument for a
    /// name registered twice.
    template <class T, class... Args>
    application& add_service(std::string name, Args... args) {
        return add_factory(std::move(name), placement::configured,
                           [args...](node& n, const std::string& as) { n.add_service<T>(as, args...); });
    }
    template <class T, class... Args>
    application& add_service(std::string name, placement where, Args... args) {
        return add_factory(std::move(name), where,
                           [args...](node& n, const std::string& as) { n.add_service<T>(as, args...); });
    }

    /// The configuration used without --config: JSON text compiled into the program.
    application& default_config(std::string json_text);
    /// The configuration file used without --config (ignored when default_config() is set).
    application& default_config_file(std::string path);
    /// Adjusts a node's gate options after they are read from the configuration (static
    /// files, a handshake validator, a node picker, flags of the program's own).
    application& configure_gate(std::function<void(session::gate_options&)> f);
    /// Runs on the main thread once the node serves, before "ready NAME" is printed.
    application& on_ready(std::function<void(node&)> f);

    /// The command-line parser, to add the program's own options before run().
    CLI::App& cli();

    /// Parses the command line and runs (see the exit statuses above). Call once, from main().
    int run(int argc, char** argv);

    /// Hearth's version ("0.2.0").
    static const char* version() noexcept;

  private:
    using factory = std::function<void(node&, const std::string&)>;
    application& add_factory(std::string name, placement where, factory f);

    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace hearth::app
