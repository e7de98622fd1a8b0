#include "app/application.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>

#include "app/config.hpp"
#include "app/launcher.hpp"
#include "cluster/admin_routes.hpp"
#include "cluster/cluster.hpp"
#include "framework/admin.hpp"
#include "framework/signals.hpp"
#include "session/admin_routes.hpp"
#include "session/gate.hpp"

#ifndef HEARTH_VERSION
#error "HEARTH_VERSION is defined by app/CMakeLists.txt"
#endif

namespace hearth::app {

namespace {
constexpr int exit_runtime = 1;
constexpr int exit_usage = 2;
constexpr auto listen_limit = std::chrono::seconds(10);
}  // namespace

struct application::impl {
    std::string program;
    CLI::App cli;
    std::vector<std::pair<std::string, placement>> names;  // registration order
    std::map<std::string, factory> factories;
    std::string default_text;
    std::string default_file;
    std::vector<std::function<void(session::gate_options&)>> gate_hooks;
    std::vector<std::function<void(node&)>> ready_hooks;

    // Flags.
    std::string config_file;
    std::optional<std::string> node_name, cluster_file, log_level, role;
    std::optional<std::uint16_t> admin_port;
    bool check_config = false;
    bool print_config = false;

    explicit impl(std::string name) : program(std::move(name)), cli("A Hearth node: " + program, program) {
        cli.add_option("--config", config_file, "The JSON configuration file");
        cli.add_option("--node", node_name, "Run this node of the configuration in this process");
        cli.add_option(
            "--cluster", cluster_file,
            "Read the cluster configuration from FILE (the whole file, or its \"cluster\" member); "
            "an empty POST /cluster/reload re-reads it");
        cli.add_option("--admin-port", admin_port, "The admin endpoint's port (0: any free port)");
        cli.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off");
        cli.add_option("--role", role, "all: start every node of \"start\" as child processes")
            ->check(CLI::IsMember({"all"}));
        cli.add_flag("--check-config", check_config,
                     "Check the configuration; exit 0 when it is valid, else 2 listing every problem");
        cli.add_flag("--print-config", print_config, "Print the effective configuration (secrets masked)");
        cli.set_version_flag("--version",
                             program + " " + HEARTH_VERSION + " (Hearth " + HEARTH_VERSION + ")");
    }

    std::vector<std::string> registered() const {
        std::vector<std::string> out;
        for (const auto& [n, p] : names) out.push_back(n);
        return out;
    }
    std::vector<std::string> everywhere() const {
        std::vector<std::string> out;
        for (const auto& [n, p] : names)
            if (p == placement::every_node) out.push_back(n);
        return out;
    }

    int fail(const std::string& message, int status) const {
        std::cerr << program << ": " << message << "\n";
        return status;
    }

    int launch_all(const app_config& cfg, const char* argv0) const;
    int run_node(const app_config& cfg, const node_plan& plan);
};

int application::impl::launch_all(const app_config& cfg, const char* argv0) const {
    const auto exe = self_executable(argv0);
    std::vector<child_process> children;
    for (const auto& name : cfg.start) {
        child_process c{name, {exe}};
        if (!cfg.path.empty()) c.argv.insert(c.argv.end(), {"--config", cfg.path});
        c.argv.insert(c.argv.end(), {"--node", name});
        if (cluster_file) c.argv.insert(c.argv.end(), {"--cluster", *cluster_file});
        if (log_level) c.argv.insert(c.argv.end(), {"--log-level", *log_level});
        children.push_back(std::move(c));
    }
    return launch(program, children);
}

int application::impl::run_node(const app_config& cfg, const node_plan& plan) {
    node_config nc;
    nc.name = plan.name;
    nc.threads = plan.threads;
    if (plan.spin_us) nc.spin = std::chrono::microseconds(*plan.spin_us);
    nc.log_level = plan.log_level;
    node n(nc);

    session::gate* gate = nullptr;
    try {
        if (plan.gate) {
            auto parsed = session::gate_options::from_json(*plan.gate);
            if (!parsed)
                return fail(
                    "cannot create the services of node '" + plan.name + "': " + parsed.error().message,
                    exit_usage);
            auto options = std::move(*parsed);
            for (const auto& hook : gate_hooks) hook(options);
            gate = &n.add_service<session::gate>("gate", std::move(options));
        }
        for (const auto& [name, where] : names)
            if (where == placement::every_node) factories.at(name)(n, name);
        for (const auto& name : plan.services) factories.at(name)(n, name);
    } catch (const std::exception& e) {
        return fail("cannot create the services of node '" + plan.name + "': " + e.what(), exit_usage);
    }

    std::shared_ptr<cluster::cluster> joined;
    if (cfg.cluster) {
        auto j = cluster::join(n, *cfg.cluster);
        if (!j) return fail(j.error().message, exit_runtime);
        joined = *j;
    }

    // First SIGINT/SIGTERM: graceful stop; second: exit at once. SIGHUP re-reads the TLS
    // certificate files (as POST /tls/reload does), for certificate renewal tools that signal.
    std::optional<admin_server> admin;
    std::atomic<admin_server*> https_admin{nullptr};  // set once the admin endpoint serves HTTPS
    signal_watcher signals(n, [gate, &https_admin] {
        // reload_tls logs success and failure itself.
        if (gate && gate->tls()) (void)gate->reload_tls();
        if (auto* a = https_admin.load()) (void)a->reload_tls();
    });
    n.start();
    if (plan.admin) {
        admin_config ac;
        ac.address = plan.admin->address;
        ac.port = plan.admin->port;
        ac.token = plan.admin->token;
        ac.open_reads = plan.admin->open_reads;
        ac.tls = plan.admin->tls;
        admin.emplace(n, ac);
        if (joined) cluster::register_admin_routes(*admin, *joined, cfg.cluster_file);
        if (gate) session::register_admin_routes(*admin, *gate);
        try {
            admin->start();
            if (admin->tls()) https_admin.store(&*admin);
        } catch (const std::exception& e) {
            n.stop();
            return fail("the admin endpoint cannot listen on " + ac.address + ":" + std::to_string(ac.port) +
                            ": " + e.what(),
                        exit_runtime);
        }
    }
    if (gate && !gate->wait_listening(listen_limit)) {
        const auto& o = gate->options();
        n.stop();
        return fail("the gate cannot start (host " + o.host + ", tcp_port " + std::to_string(o.tcp_port) +
                        ", ws_port " + std::to_string(o.ws_port) + ", tls_port " +
                        std::to_string(o.tls_port) + ", wss_port " + std::to_string(o.wss_port) +
                        "): " + gate->listen_error(),
                    exit_runtime);
    }
    if (admin) std::cout << "admin " << admin->url() << "\n";
    if (joined) {
        const auto self = cfg.cluster->address_of(plan.name);
        std::cout << "cluster "
                  << cluster::endpoint{self ? self->host : "127.0.0.1", joined->port()}.to_string() << "\n";
    }
    if (gate) {
        if (!gate->tcp_url().empty()) std::cout << gate->tcp_url() << "\n";
        if (!gate->ws_url().empty()) std::cout << gate->ws_url() << "\n" << gate->http_url() << "\n";
        if (!gate->tls_url().empty()) std::cout << gate->tls_url() << "\n";
        if (!gate->wss_url().empty()) std::cout << gate->wss_url() << "\n" << gate->https_url() << "\n";
    }
    for (const auto& hook : ready_hooks) hook(n);
    std::cout << "ready " << plan.name << "\n" << std::flush;

    n.wait();
    const auto report = n.last_shutdown();
    for (const auto& step : report.steps)
        if (!step.ok)
            std::cerr << program << ": shutdown step '" << step.name << "' failed: " << step.error << "\n";
    return report.ok() ? 0 : exit_runtime;
}

application::application(std::string program) : impl_(std::make_unique<impl>(std::move(program))) {}
application::~application() = default;

application& application::add_factory(std::string name, placement where, factory f) {
    if (impl_->factories.count(name))
        throw std::invalid_argument("service \"" + name + "\" is registered twice");
    impl_->names.emplace_back(name, where);
    impl_->factories.emplace(std::move(name), std::move(f));
    return *this;
}

application& application::default_config(std::string json_text) {
    impl_->default_text = std::move(json_text);
    return *this;
}

application& application::default_config_file(std::string path) {
    impl_->default_file = std::move(path);
    return *this;
}

application& application::configure_gate(std::function<void(session::gate_options&)> f) {
    impl_->gate_hooks.push_back(std::move(f));
    return *this;
}

application& application::on_ready(std::function<void(node&)> f) {
    impl_->ready_hooks.push_back(std::move(f));
    return *this;
}

CLI::App& application::cli() {
    return impl_->cli;
}

const char* application::version() noexcept {
    return HEARTH_VERSION;
}

int application::run(int argc, char** argv) {
    auto& s = *impl_;
    try {
        s.cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = s.cli.exit(e);  // prints the help, the version, or the error
        return code == 0 ? 0 : exit_usage;
    }

    std::string path = s.config_file;
    if (path.empty() && s.default_text.empty()) path = s.default_file;
    if (path.empty() && s.default_text.empty())
        return s.fail("no configuration: pass --config FILE (see --help)", exit_usage);

    overrides flags{s.node_name, s.cluster_file, s.admin_port, s.log_level};
    auto parsed = load_config(path, s.default_text, flags, s.registered(), s.everywhere());
    if (!parsed) {
        const auto& problems = parsed.error().sentences;
        for (const auto& p : problems) std::cerr << s.program << ": " << p << "\n";
        std::cerr << s.program << ": " << problems.size() << " configuration problem"
                  << (problems.size() == 1 ? "" : "s") << (path.empty() ? "" : " in " + path) << "\n";
        return exit_usage;
    }
    const auto& cfg = *parsed;
    if (s.check_config) {
        std::cout << s.program << ": the configuration" << (path.empty() ? "" : " " + path) << " is valid ("
                  << cfg.nodes.size() << " node" << (cfg.nodes.size() == 1 ? "" : "s") << ")\n";
        return 0;
    }
    if (s.print_config) {
        std::cout << cfg.to_public_json().dump(2) << "\n";
        return 0;
    }
    if (s.role && s.node_name) return s.fail("--role all and --node NAME exclude each other", exit_usage);
    if (s.node_name) return s.run_node(cfg, cfg.nodes.at(*s.node_name));
    if (cfg.single && !s.role) return s.run_node(cfg, cfg.nodes.begin()->second);
    return s.launch_all(cfg, argc > 0 ? argv[0] : s.program.c_str());
}

}  // namespace hearth::app
