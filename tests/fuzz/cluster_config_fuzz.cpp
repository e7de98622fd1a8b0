// The cluster configuration parser and the reload diff (cluster/config.hpp): what
// POST /cluster/reload feeds them.
//
// Input: two JSON documents separated by the first NUL byte (the current configuration and
// the one to reload); without a NUL, the same text twice.
// Properties:
// - parse_config never throws and fails only with bad_config and a non-empty message;
// - an accepted configuration holds every documented invariant, and survives a round trip
//   through its public JSON (secret restored);
// - diff(a, b): sorted, disjoint lists covering every node of a and b exactly once; applying
//   it to a gives b's nodes; each *_changed flag is the field's inequality; empty() iff a == b;
//   diff(a, a) is empty; to_json() prints without throwing.

#include <algorithm>
#include <set>
#include <string>

#include "cluster/config.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace hearth::cluster;

namespace {

void check_parsed(const outcome<cluster_config>& c) {
    if (!c) {
        FUZZ_CHECK(c.error().code == errc::bad_config, "an undocumented parse failure");
        FUZZ_CHECK(!c.error().message.empty(), "an empty failure message");
        // Messages quote the input (and the JSON parser's excerpt, which may end inside a UTF-8
        // sequence): they are not always UTF-8. The admin server replaces such bytes when it
        // sends them (framework/admin.cpp); admin_http_fuzz.cpp checks that end of the path.
        return;
    }
    const auto& cfg = *c;
    FUZZ_CHECK(!cfg.cluster.empty() && cfg.cluster.size() <= max_node_name, "cluster name out of range");
    FUZZ_CHECK(!cfg.secret.empty(), "empty secret accepted");
    FUZZ_CHECK(cfg.max_frame >= min_max_frame && cfg.max_frame <= max_max_frame, "max_frame out of range");
    FUZZ_CHECK(cfg.heartbeat >= min_heartbeat && cfg.heartbeat <= max_heartbeat, "heartbeat out of range");
    std::set<std::string> addresses;
    for (const auto& [name, addr] : cfg.nodes) {
        FUZZ_CHECK(valid_node_name(name), "an invalid node name accepted");
        if (!addr) continue;
        FUZZ_CHECK(addr->port != 0, "port 0 accepted");
        std::string key = addr->to_string();
        std::transform(key.begin(), key.end(), key.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        FUZZ_CHECK(addresses.insert(key).second, "two online nodes share an address");
        auto back = parse_endpoint(addr->to_string());
        FUZZ_CHECK(back && *back == *addr, "an endpoint does not survive to_string/parse_endpoint");
    }
    auto pub = cfg.to_public_json();
    FUZZ_CHECK(pub["secret"] == "***", "the public JSON shows the secret");
    pub["secret"] = cfg.secret;
    auto again = parse_config(pub);
    FUZZ_CHECK(again && *again == cfg, "the configuration does not survive its public JSON");
}

template <class Entry>
std::vector<std::string> names(const std::vector<Entry>& v) {
    std::vector<std::string> out;
    for (const auto& e : v) out.push_back(e.name);
    return out;
}

void check_diff(const cluster_config& a, const cluster_config& b) {
    const auto d = diff(a, b);
    FUZZ_CHECK(d.cluster_changed == (a.cluster != b.cluster), "cluster_changed is wrong");
    FUZZ_CHECK(d.secret_changed == (a.secret != b.secret), "secret_changed is wrong");
    FUZZ_CHECK(d.codec_changed == (a.codec != b.codec), "codec_changed is wrong");
    FUZZ_CHECK(d.max_frame_changed == (a.max_frame != b.max_frame), "max_frame_changed is wrong");
    FUZZ_CHECK(d.heartbeat_changed == (a.heartbeat != b.heartbeat), "heartbeat_changed is wrong");
    FUZZ_CHECK(d.tls_changed == (a.tls != b.tls), "tls_changed is wrong");
    FUZZ_CHECK(d.empty() == (a == b), "empty() disagrees with equality");

    std::set<std::string> seen;
    for (const auto& list : {names(d.added), names(d.removed), names(d.changed), names(d.unchanged)}) {
        FUZZ_CHECK(std::is_sorted(list.begin(), list.end()), "a diff list is not sorted by name");
        for (const auto& n : list) FUZZ_CHECK(seen.insert(n).second, "a node appears twice in the diff");
    }
    std::set<std::string> all;
    for (const auto& [n, _] : a.nodes) all.insert(n);
    for (const auto& [n, _] : b.nodes) all.insert(n);
    FUZZ_CHECK(seen == all, "the diff does not cover every node exactly once");

    // Applying the diff to a's nodes gives b's nodes.
    auto nodes = a.nodes;
    for (const auto& e : d.removed)
        FUZZ_CHECK(nodes.erase(e.name) == 1 && !b.contains(e.name), "removed is wrong");
    for (const auto& e : d.added) {
        FUZZ_CHECK(!a.contains(e.name), "added a node that existed");
        nodes.emplace(e.name, e.address);
    }
    for (const auto& c : d.changed) {
        FUZZ_CHECK(c.from != c.to && nodes.at(c.name) == c.from, "changed is wrong");
        nodes[c.name] = c.to;
    }
    for (const auto& e : d.unchanged) FUZZ_CHECK(nodes.at(e.name) == e.address, "unchanged is wrong");
    FUZZ_CHECK(nodes == b.nodes, "applying the diff does not give the new node map");
    (void)d.to_json().dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in = hearth::fuzz::as_view(data, size);
    const auto nul = in.find('\0');
    const std::string_view first = in.substr(0, nul);
    const std::string_view second = nul == std::string_view::npos ? in : in.substr(nul + 1);

    outcome<cluster_config> a = failure{errc::bad_config, "unset"};
    outcome<cluster_config> b = failure{errc::bad_config, "unset"};
    try {
        a = parse_config(first);
        b = parse_config(second);
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        FUZZ_CHECK(false, std::string("parse_config threw: ") + e.what());
    }
    check_parsed(a);
    check_parsed(b);
    if (a) {
        FUZZ_CHECK(diff(*a, *a).empty(), "diff of a configuration with itself is not empty");
        if (b) check_diff(*a, *b);
    }
    return 0;
}
