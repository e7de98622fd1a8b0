// hearth_example_cluster: a multi-node chat. One gate node (clients connect there) and game
// nodes that host examples/chat's room service; the gate forwards room.join / room.message to a
// game node (sticky per session) and the rooms push back through the gate. Every node has a
// cluster listener and an admin endpoint (GET /cluster, POST /cluster/reload, GET /sessions, ...).
//
//   hearth_example_cluster [--config FILE]                  # --role all: the nodes of "start"
//   hearth_example_cluster [--config FILE] --node NAME [--cluster FILE] [--admin-port N]
//
// --role all starts one child process per node listed in "start" (gate-1, game-1, game-2) and
// forwards SIGINT/SIGTERM to them (a second signal kills them). --node runs one node in this
// process. --cluster FILE takes the cluster configuration from FILE instead of the "cluster"
// member of --config; it is also the file an empty POST /cluster/reload re-reads. A node prints
// its addresses and then "ready NAME" once it serves.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/admin_routes.hpp"
#include "cluster/cluster.hpp"
#include "framework/admin.hpp"
#include "framework/node.hpp"
#include "framework/signals.hpp"
#include "ping.hpp"
#include "room.hpp"
#include "session/admin_routes.hpp"
#include "session/gate.hpp"

namespace {

#ifndef HEARTH_CLUSTER_EXAMPLE_CONFIG
#define HEARTH_CLUSTER_EXAMPLE_CONFIG "examples/cluster/config.json"
#endif

constexpr std::string_view program = "hearth_example_cluster";

std::optional<std::string> flag(int argc, char** argv, std::string_view name) {
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == std::string("--") + std::string(name)) return std::string(argv[i + 1]);
    return std::nullopt;
}

int usage(int status) {
    std::cerr << "usage: " << program << " [--config FILE] [--role all]\n"
              << "       " << program << " [--config FILE] --node NAME [--cluster FILE] [--admin-port N]"
              << " [--log-level LEVEL]\n";
    return status;
}

std::string self_exe(const char* argv0) {
    char buf[4096];
    const auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return argv0;
    return std::string(buf, static_cast<std::size_t>(n));
}

// ---- --role all: one child process per node ---------------------------------------------------

int run_all(const std::string& exe, const std::string& config_path, const nlohmann::json& config) {
    std::vector<std::string> names;
    for (const auto& n : config.value("start", nlohmann::json::array()))
        names.push_back(n.get<std::string>());
    if (names.empty()) {
        std::cerr << program << ": the configuration lists no nodes under \"start\"\n";
        return 2;
    }
    sigset_t wanted, previous;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGCHLD);
    ::pthread_sigmask(SIG_BLOCK, &wanted, &previous);

    std::map<pid_t, std::string> children;
    for (const auto& name : names) {
        const pid_t pid = ::fork();
        if (pid < 0) {
            std::cerr << program << ": fork failed: " << std::strerror(errno) << "\n";
            break;
        }
        if (pid == 0) {
            ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
            std::vector<std::string> args{exe, "--config", config_path, "--node", name};
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(exe.c_str(), argv.data());
            std::cerr << program << ": cannot run " << exe << ": " << std::strerror(errno) << "\n";
            ::_exit(127);
        }
        children[pid] = name;
        std::cerr << program << ": started " << name << " (pid " << pid << ")\n";
    }

    int signals_seen = 0;
    bool all_ok = children.size() == names.size();
    while (!children.empty()) {
        int sig = 0;
        if (::sigwait(&wanted, &sig) != 0) continue;
        if (sig == SIGINT || sig == SIGTERM) {
            ++signals_seen;
            const int forward = signals_seen == 1 ? SIGTERM : SIGKILL;
            std::cerr << program << ": stopping " << children.size() << " node(s)"
                      << (forward == SIGKILL ? " at once" : " gracefully") << "\n";
            for (auto& [pid, name] : children) ::kill(pid, forward);
            continue;
        }
        for (;;) {  // SIGCHLD: reap everything that exited
            int status = 0;
            const pid_t pid = ::waitpid(-1, &status, WNOHANG);
            if (pid <= 0) break;
            auto it = children.find(pid);
            if (it == children.end()) continue;
            const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            all_ok = all_ok && ok;
            if (WIFEXITED(status))
                std::cerr << program << ": " << it->second << " exited with status " << WEXITSTATUS(status)
                          << "\n";
            else if (WIFSIGNALED(status))
                std::cerr << program << ": " << it->second << " was killed by signal " << WTERMSIG(status)
                          << "\n";
            children.erase(it);
        }
    }
    return all_ok ? 0 : 1;
}

// ---- --node NAME: one node in this process ------------------------------------------------------

int run_node(const std::string& name, const std::string& config_path, const nlohmann::json& config, int argc,
             char** argv) {
    const auto nodes = config.value("nodes", nlohmann::json::object());
    if (!nodes.contains(name)) {
        std::cerr << program << ": node '" << name << "' is not under \"nodes\" in " << config_path << "\n";
        return 2;
    }
    const auto& settings = nodes.at(name);

    // The cluster configuration: --cluster FILE, else the "cluster" member of --config.
    const auto cluster_file = flag(argc, argv, "cluster");
    const std::string reload_file = cluster_file.value_or(config_path);
    auto cluster_config = hearth::cluster::load_config_member(reload_file);
    if (!cluster_config) {
        std::cerr << program << ": " << cluster_config.error().message << "\n";
        return 2;
    }

    hearth::node_config node_config;
    node_config.name = name;
    node_config.threads = settings.value("threads", 2u);
    node_config.log_level =
        flag(argc, argv, "log-level").value_or(settings.value("log_level", std::string("info")));

    hearth::admin_config admin_config;
    const auto admin = config.value("admin", nlohmann::json::object());
    admin_config.address = admin.value("address", admin_config.address);
    admin_config.token = admin.value("token", std::string());
    admin_config.open_reads = admin.value("open_reads", false);
    admin_config.port = static_cast<std::uint16_t>(
        std::stoi(flag(argc, argv, "admin-port").value_or(std::to_string(settings.value("admin_port", 0)))));

    hearth::node node(node_config);
    node.add_service<cluster_example::ping_service>("ping");
    hearth::session::gate* gate = nullptr;
    try {
        if (settings.contains("gate"))
            gate = &node.add_service<hearth::session::gate>(
                "gate", hearth::session::gate_options::from_json(settings["gate"]));
        for (const auto& s : settings.value("services", nlohmann::json::array())) {
            if (s == "room")
                node.add_service<chat::room>("room");
            else
                throw std::invalid_argument("unknown service " + s.dump() + " (this example knows \"room\")");
        }
    } catch (const std::exception& e) {
        std::cerr << program << ": bad settings for node '" << name << "': " << e.what() << "\n";
        return 2;
    }

    auto joined = hearth::cluster::cluster::join(node, *cluster_config);
    if (!joined) {
        std::cerr << program << ": " << joined.error().message << "\n";
        return 1;
    }
    auto cluster = *joined;

    hearth::signal_watcher signals(node);  // first SIGINT/SIGTERM: graceful; second: exit now
    node.start();
    hearth::admin_server admin_server(node, admin_config);
    hearth::cluster::register_admin_routes(admin_server, *cluster, reload_file);
    if (gate) hearth::session::register_admin_routes(admin_server, *gate);
    try {
        admin_server.start();
    } catch (const std::exception& e) {
        std::cerr << program << ": the admin endpoint cannot listen on " << admin_config.address << ":"
                  << admin_config.port << ": " << e.what() << "\n";
        node.stop();
        return 1;
    }
    if (gate && !gate->wait_listening(std::chrono::seconds(10))) {
        std::cerr << program << ": " << gate->listen_error() << "\n";
        node.stop();
        return 1;
    }
    std::cout << "admin " << admin_server.url() << "\n";
    std::cout << "cluster 127.0.0.1:" << cluster->port() << "\n";
    if (gate) {
        if (!gate->tcp_url().empty()) std::cout << gate->tcp_url() << "\n";
        if (!gate->ws_url().empty()) std::cout << gate->ws_url() << "\n" << gate->http_url() << "\n";
    }
    std::cout << "ready " << name << "\n" << std::flush;

    node.wait();
    const auto report = node.last_shutdown();
    for (const auto& step : report.steps)
        if (!step.ok)
            std::cerr << program << ": shutdown step '" << step.name << "' failed: " << step.error << "\n";
    return report.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--help" || a == "-h") return usage(0);
    }
    const std::string config_path = flag(argc, argv, "config").value_or(HEARTH_CLUSTER_EXAMPLE_CONFIG);
    nlohmann::json config;
    {
        std::ifstream in(config_path);
        if (!in) {
            std::cerr << program << ": cannot read " << config_path << "\n";
            return 2;
        }
        config = nlohmann::json::parse(in, nullptr, false);
        if (config.is_discarded() || !config.is_object()) {
            std::cerr << program << ": " << config_path << " is not a JSON object\n";
            return 2;
        }
    }
    const auto node_name = flag(argc, argv, "node");
    const auto role = flag(argc, argv, "role").value_or(node_name ? "node" : "all");
    if (node_name) return run_node(*node_name, config_path, config, argc, argv);
    if (role != "all") return usage(2);
    return run_all(self_exe(argv[0]), config_path, config);
}
