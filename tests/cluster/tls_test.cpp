// Cluster links over mutual TLS (docs/protocol.md 1.1): calls work; a node whose certificate
// comes from another CA, or names another node, is refused and counted; a plain node cannot
// join a TLS cluster; reload re-reads the certificate files and refuses a bad one.
#include <catch2/catch.hpp>

#include "framework/metrics.hpp"
#include "framework/tls.hpp"
#include "tests/cluster/cluster_fixture.hpp"

using namespace hearth;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using namespace std::chrono_literals;

namespace {

std::uint64_t tls_errors(hearth::node& n, const std::string& reason) {
    return n.metrics()
        .counter("hearth_cluster_tls_errors_total", "TLS handshakes of cluster links that failed, by reason.",
                 {{"reason", reason}})
        .value();
}

std::uint64_t refusals(hearth::node& n, const std::string& reason) {
    return n.metrics()
        .counter("hearth_cluster_handshake_failures_by_reason_total",
                 "Link handshakes that failed, by reason.", {{"reason", reason}})
        .value();
}

}  // namespace

TEST_CASE("cluster over mutual TLS: calls both ways, the certificate named in the log state",
          "[cluster][tls]") {
    fixture f(link_security::tls);
    f.add("a");
    f.add("b");
    const auto cfg = f.config();
    f.start("a", cfg);
    f.start("b", cfg);
    auto& ac = *f.at("a").c;
    auto& bc = *f.at("b").c;
    REQUIRE(wait_sender_up(ac, "b"));
    REQUIRE(wait_sender_up(bc, "a"));
    auto r = echo_call(*f.at("a").n, "echo@b", "over tls");
    REQUIRE(r.has_value());
    CHECK(r->text == "over tls");
    REQUIRE(echo_call(*f.at("b").n, "echo@a", "back").has_value());
    REQUIRE(ac.tls());
    CHECK(ac.tls()->server->subject().find("CN=a") != std::string::npos);
    CHECK(ac.handshake_failures() == 0);
    CHECK(bc.handshake_failures() == 0);
    // The configuration as the admin endpoint shows it names the files, nothing secret.
    const auto shown = ac.config().to_public_json();
    CHECK(shown.at("tls").at("ca_file") == cfg.tls.ca_file);
}

TEST_CASE("cluster TLS: a node with a certificate from another CA is refused and counted", "[cluster][tls]") {
    fixture f(link_security::tls);
    f.add("a");
    f.add("c");
    // c's certificate and key come from a CA the cluster does not trust (c itself trusts the
    // cluster CA, so only a's checks can refuse it).
    const hearth::test::test_ca stranger("Hearth Stranger CA");
    f.issue_certificate("c", "c", &stranger);
    const auto cfg = f.config();
    f.start("a", cfg);
    f.start("c", cfg);
    auto& a = *f.at("a").n;
    auto& c = *f.at("c").n;
    // a's agent refuses c's client certificate; a's sender refuses c's server certificate.
    REQUIRE(hearth::testing::eventually([&] { return tls_errors(a, "bad_certificate") >= 2; }, 5000ms));
    CHECK(f.at("a").c->members().state("c") != node_state::up);
    CHECK(f.at("c").c->members().state("a") != node_state::up);
    auto r = echo_call(a, "echo@c", "refused", 300ms);
    REQUIRE_FALSE(r.has_value());
    CHECK((r.code() == rpc::errc::unreachable || r.code() == rpc::errc::timeout));
    // c sees its links fail too (a's alert), and is never up.
    CHECK(f.at("c").c->stats("a")->links_up == 0);
    CHECK(f.at("a").c->stats("c")->links_up == 0);
    (void)c;
}

TEST_CASE("cluster TLS: a node whose certificate names another node is refused with certificate_mismatch",
          "[cluster][tls]") {
    fixture f(link_security::tls);
    f.add("a");
    f.add("b");
    f.add("c");
    // c holds a genuine cluster certificate, but b's: it must not pass for b, nor b's for c.
    f.issue_certificate("c", "b");
    const auto cfg = f.config();
    f.start("a", cfg);
    f.start("b", cfg);
    f.start("c", cfg);
    auto& a = *f.at("a").n;
    auto& ac = *f.at("a").c;
    REQUIRE(wait_sender_up(ac, "b"));  // the honest nodes are unaffected
    // a's agent: c's hello says "c", its certificate says "b"; a's sender: dialled c, got "b".
    REQUIRE(hearth::testing::eventually([&] { return refusals(a, "certificate_mismatch") >= 2; }, 5000ms));
    CHECK(ac.members().state("c") != node_state::up);
    CHECK(ac.stats("c")->links_up == 0);
    // The two refusals counted may both be of a's agent (c's sender retries): wait for a's own
    // sender to have met c's certificate too.
    CHECK(hearth::testing::eventually(
        [&] { return ac.stats("c")->last_failure.find("does not name node 'c'") != std::string::npos; },
        5000ms));
    // c learns why from the reject frame of a's agent.
    REQUIRE(hearth::testing::eventually(
        [&] {
            return f.at("c").c->stats("a")->last_failure.find("certificate_mismatch") != std::string::npos;
        },
        5000ms));
    REQUIRE(echo_call(a, "echo@b", "still fine").has_value());
}

TEST_CASE("cluster TLS: a plain node cannot join, and a TLS node cannot reach a plain one",
          "[cluster][tls]") {
    fixture f(link_security::tls);
    f.add("a");
    f.add("p");
    const auto cfg = f.config();
    auto plain = cfg;
    plain.tls = {};
    f.start("a", cfg);
    f.start("p", plain);
    auto& a = *f.at("a").n;
    // p's plain bytes reach a's TLS agent: not TLS. a's ClientHello reaches p's plain agent,
    // which reads garbage instead of a hello and refuses it; a sees the link end.
    REQUIRE(hearth::testing::eventually([&] { return tls_errors(a, "not_tls") >= 1; }, 5000ms));
    REQUIRE(
        hearth::testing::eventually([&] { return f.at("a").c->stats("p")->connect_attempts >= 2; }, 5000ms));
    CHECK(f.at("a").c->stats("p")->links_up == 0);
    CHECK(f.at("p").c->stats("a")->links_up == 0);
}

TEST_CASE("cluster TLS: reload re-reads the certificate files and refuses a bad one", "[cluster][tls]") {
    fixture f(link_security::tls);
    f.add("a");
    auto& b = f.add("b");
    const auto b_port = b.port;
    const auto cfg = f.config();
    f.start("a", cfg);
    f.start("b", cfg);
    auto& ac = *f.at("a").c;
    REQUIRE(wait_sender_up(ac, "b"));
    const auto before = ac.tls()->server->fingerprint_sha256();

    // A renewed certificate under the same file name: the same configuration, reloaded, reads it.
    f.issue_certificate("a");
    auto same = ac.reload(cfg);
    REQUIRE(same);
    CHECK(same->empty());
    const auto after = ac.tls()->server->fingerprint_sha256();
    CHECK(after != before);

    // b restarts: the new link is made with a's renewed certificate and works.
    f.kill("b");
    f.add("b", b_port);
    f.start("b", cfg);
    REQUIRE(wait_sender_up(ac, "b"));
    REQUIRE(echo_call(*f.at("a").n, "echo@b", "renewed").has_value());

    // A key that does not match: the reload fails, naming the file, and nothing changes.
    const auto a_pem = (f.pki_dir() / "a.pem").string();
    std::filesystem::copy_file(f.pki_dir() / "b.key", f.pki_dir() / "a.key",
                               std::filesystem::copy_options::overwrite_existing);
    auto bad = ac.reload(cfg);
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == hearth::cluster::errc::bad_config);
    CHECK(bad.error().message.find("does not match the certificate in '" + a_pem + "'") != std::string::npos);
    CHECK(ac.tls()->server->fingerprint_sha256() == after);
    REQUIRE(echo_call(*f.at("a").n, "echo@b", "still up").has_value());
}

TEST_CASE("cluster TLS configuration: ca_file is required, {node} names each node's files",
          "[cluster][tls]") {
    auto doc = nlohmann::json::parse(R"({"cluster":"t","secret":"s","nodes":{"a":"127.0.0.1:1"},
        "tls":{"certificate_chain_file":"certs/{node}.pem","private_key_file":"certs/{node}.key"}})");
    auto missing_ca = parse_config(doc);
    REQUIRE_FALSE(missing_ca);
    CHECK(missing_ca.error().message.find("needs 'ca_file'") != std::string::npos);
    doc["tls"]["ca_file"] = "certs/ca.pem";
    auto ok = parse_config(doc);
    REQUIRE(ok);
    CHECK(ok->tls.certificate_chain_file == "certs/{node}.pem");
    doc["tls"]["client_ca_file"] = "x";
    auto unknown = parse_config(doc);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.find("Unknown key 'client_ca_file'") != std::string::npos);

    // A join whose files do not exist fails with the file named (after "{node}" is replaced).
    fixture f;
    f.add("a");
    auto cfg = f.config();
    cfg.tls = ok->tls;
    auto started = f.at("a").c->start(cfg);
    REQUIRE_FALSE(started);
    CHECK(started.error().message.find("'certs/a.pem'") != std::string::npos);
}
