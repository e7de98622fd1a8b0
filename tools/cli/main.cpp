// hearth-cli: the tool to reach for when a client misbehaves. A Pomelo-protocol game client for
// a Hearth gate (interactive, or driven by a script), and the admin endpoint's routes as
// commands. See tools/README.md.
//
//   hearth-cli connect tcp://HOST:PORT | ws://HOST:PORT/PATH [--user JSON] [--script FILE]
//                      [--timeout SECONDS] [--json]
//   hearth-cli admin http://HOST:PORT [--token T] [--json] [--timeout SECONDS] COMMAND ...

#include <cmath>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tools/cli/admin_command.hpp"
#include "tools/cli/client_session.hpp"
#include "tools/cli/exit_status.hpp"

namespace {

constexpr const char* version = HEARTH_CLI_VERSION;

std::chrono::milliseconds to_ms(double seconds) {
    return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000)));
}

}  // namespace

int main(int argc, char** argv) {
    using namespace hearth::tools;
    CLI::App app{"hearth-cli: a game client and an admin tool for Hearth servers.", "hearth-cli"};
    app.set_version_flag("--version", std::string("hearth-cli ") + version);
    app.require_subcommand(1);

    connect_options co;
    std::string user_text;
    double connect_timeout = 10;
    auto* connect =
        app.add_subcommand("connect",
                           "Connect as a game client (Pomelo protocol), then run commands: request ROUTE "
                           "JSON, notify ROUTE JSON, "
                           "wait-push ROUTE [SECONDS], wait-kick [SECONDS], help, quit. Interactive at a "
                           "terminal; from --script or "
                           "standard input otherwise, printing one JSON line per response, push and kick.");
    connect->add_option("url", co.url, "tcp://HOST:PORT or ws://HOST:PORT/PATH")->required();
    connect->add_option("--user", user_text, "the handshake's \"user\" value, as JSON (default {})");
    connect->add_option("--script", co.script, "read commands from FILE instead of standard input");
    connect
        ->add_option(
            "--timeout", connect_timeout,
            "seconds allowed to connect, to handshake, for each response, and for wait-push/wait-kick "
            "without their own")
        ->check(CLI::Range(0.001, 86400.0))
        ->capture_default_str();
    connect->add_flag("--json", co.json_lines, "print JSON lines even at a terminal");
    connect->add_option(
        "--resume", co.resume_token,
        "resume the parked session of this token (printed in a \"resume\" event; docs/resume.md)");
    connect->add_option("--received", co.received,
                        "with --resume: the responses and pushes received on that session (the event's "
                        "\"received\")");

    admin_options ao;
    double admin_timeout = 10;
    auto* admin = app.add_subcommand("admin", "Call a node's admin endpoint (docs/admin.md).");
    admin->add_option("url", ao.url, "the admin endpoint, http://HOST:PORT")->required();
    admin->add_option("--token", ao.token, "the admin token (default: $HEARTH_ADMIN_TOKEN)")
        ->envname("HEARTH_ADMIN_TOKEN");
    admin->add_flag("--json", ao.json, "print the endpoint's JSON answer as it is");
    admin->add_option("--timeout", admin_timeout, "seconds allowed for the whole request")
        ->check(CLI::Range(0.001, 86400.0))
        ->capture_default_str();
    admin->require_subcommand(1);
    admin->fallthrough();  // --json, --token and --timeout also after the command

    auto add = [&](const char* name, const char* what) {
        auto* c = admin->add_subcommand(name, what);
        c->callback([&ao, name] { ao.command = name; });
        return c;
    };
    add("cluster", "GET /cluster: every node, its state and link");
    auto* reload =
        add("reload", "POST /cluster/reload: apply a cluster configuration (no FILE: re-read the node's)");
    reload->add_option("file", ao.argument, "a cluster configuration (JSON)");
    reload->add_flag("--dry-run", ao.dry_run, "show the diff, change nothing");
    auto* sessions = add("sessions", "GET /sessions: the gate's client sessions");
    sessions->add_option("--offset", ao.offset, "the first session to list")->capture_default_str();
    sessions->add_option("--limit", ao.limit, "at most this many (1..1000)")->capture_default_str();
    auto* kick = add("kick", "POST /sessions/ID/kick: kick a client");
    kick->add_option("id", ao.argument, "the session id (admin sessions shows them)")->required();
    kick->add_option("reason", ao.reason, "the reason sent to the client");
    add("metrics", "GET /metrics: Prometheus text");
    auto* level = add("log-level", "PUT /log-level: change every logger of the node");
    level->add_option("level", ao.argument, "trace, debug, info, warn, error, critical or off")->required();
    add("shutdown", "POST /shutdown: stop the node gracefully");
    add("health", "GET /health");
    add("node", "GET /node");
    add("services", "GET /services");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_status::usage;
    }

    if (connect->parsed()) {
        if (!user_text.empty()) {
            co.user = nlohmann::json::parse(user_text, nullptr, false);
            if (co.user.is_discarded()) {
                std::cerr << "hearth-cli: --user is not valid JSON: " << user_text << "\n";
                return exit_status::usage;
            }
        }
        co.timeout = to_ms(connect_timeout);
        return run_connect(co);
    }
    ao.timeout = to_ms(admin_timeout);
    return run_admin(ao);
}
