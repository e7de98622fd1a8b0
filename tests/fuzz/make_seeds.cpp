// Writes the seed corpora of the fuzz targets from the project's test vectors and examples:
// `make_seeds DIR` creates DIR/TARGET/NAME for every target. Run by scripts/fuzz.sh --seeds;
// the output is committed under tests/fuzz/corpus/ (merged with what fuzzing found).

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "cluster/frame.hpp"
#include "cluster/handshake.hpp"
#include "session/compression.hpp"
#include "session/handshake.hpp"
#include "session/message.hpp"
#include "session/packet.hpp"
#include "tests/session/vectors.hpp"

namespace fs = std::filesystem;
using namespace hearth;

namespace {

fs::path root;

void write(const std::string& target, const std::string& name, std::string_view bytes) {
    fs::create_directories(root / target);
    std::ofstream(root / target / name, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string le(std::uint64_t v, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
    return s;
}

const char* handshake_json =
    R"({"sys":{"type":"js-websocket","version":"0.0.1","rsa":{}},"user":{"token":"t"}})";

void client_seeds() {
    const auto vectors = session::test::encode_vectors();
    std::string all;
    std::string handshake;
    (void)session::encode_packet(handshake, session::packet_type::handshake, handshake_json);
    for (const auto& v : vectors) {
        // packet_decoder: max_body choice 5 (64 KiB), split seed, the packet.
        write("packet_decoder", v.name, le(5, 1) + le(0x01020304, 4) + v.packet);
        all += v.packet;
        // message: the Data packets' bodies, with and without the dictionary.
        if (v.packet[0] == static_cast<char>(session::packet_type::data)) {
            write("message", v.name, le(1, 1) + v.packet.substr(session::packet_header_size));
        }
    }
    write("packet_decoder", "all_vectors", le(5, 1) + le(7, 4) + handshake + all);

    session::message m;
    m.type = session::message_type::request;
    m.id = 300;  // a two-byte varint
    m.route = "room.join";
    m.zlib = true;
    std::string z;
    session::deflate_payload(R"({"uid":"ann"})", z);
    m.payload = z;
    std::string body;
    (void)session::encode_message(body, m);
    write("message", "request_zlib_id300", le(0, 1) + body);
    body.clear();
    m.type = session::message_type::response;
    m.error = true;
    m.zlib = false;
    m.payload = R"({"code":"unavailable"})";
    (void)session::encode_message(body, m);
    write("message", "response_error", le(0, 1) + body);

    write("handshake", "pomelo", handshake_json);
    write("handshake", "empty", "");
    write(
        "handshake", "pitaya",
        R"({"sys":{"platform":"mac","libVersion":"0.3.5","clientBuildNumber":"20","clientVersion":"2.1","type":"go-websocket","version":"0.3.5"},"user":{"age":30}})");

    std::string packed;
    session::deflate_payload(R"({"content":"hello, world!"})", packed);
    write("inflate", "zlib", le(1024, 2) + packed);
    // gzip: a fixed member holding "hi\n" (gzip -n).
    const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0xc8,
                                0xe4, 0x02, 0x00, 0x7a, 0x7a, 0x6f, 0xed, 0x03, 0x00, 0x00, 0x00};
    write("inflate", "gzip", le(1024, 2) + std::string(reinterpret_cast<const char*>(gz), sizeof gz));
    std::string zeros;
    session::deflate_payload(std::string(100000, '\0'), zeros);
    write("inflate", "bomb", le(65535, 2) + zeros);

    write("gate_options", "chat",
          R"({"host":"127.0.0.1","tcp_port":3250,"ws_port":3251,"ws_path":"/ws","heartbeat_ms":30000,
"dict":{"room.join":1,"room.message":2,"onMessage":3,"onNewUser":4,"onMembers":5,"onLeave":6}})");
    write("gate_options", "all_keys",
          R"({"static_dir":"www","handshake_timeout_ms":10000,"kick_flush_timeout_ms":2000,
"request_timeout_ms":5000,"max_packet_body":65536,"max_connections":100000,"max_queued_bytes":4194304,
"max_queued_packets":16384,"rate_limit":10.5,"rate_burst":20,"duplicate_login":"reject_new",
"max_connections_per_address":20,"connection_rate_per_address":5,"connection_burst_per_address":20,
"trusted_networks":["10.0.0.0/8","2001:db8::/32","::ffff:192.0.2.0/120"],"exempt_loopback":false})");

    // gate_connection: handshake + ack + a request, a notify, a heartbeat (split seed first).
    std::string conn = le(0, 4) + handshake + std::string(session::handshake_ack_packet);
    m = {};
    m.type = session::message_type::request;
    m.id = 1;
    m.route = "echo.echo";
    m.payload = R"({"x":1})";
    (void)session::encode_data_packet(conn, m);
    m.type = session::message_type::notify;
    m.route = "room.say";
    (void)session::encode_data_packet(conn, m);
    conn += session::heartbeat_packet;
    m.type = session::message_type::request;
    m.id = 2;
    m.route = "gate.kick";  // a gate method clients may not call
    (void)session::encode_data_packet(conn, m);
    write("gate_connection", "session", conn);

    // gate_connection: a resume attempt (a token of no session: a new session), then a request.
    const std::string resume_json =
        R"({"sys":{"type":"js-websocket","version":"0.0.1","resume":{"token":"101.0123456789abcdef0123456789abcdef","received":3}}})";
    std::string resume = le(0, 4);
    (void)session::encode_packet(resume, session::packet_type::handshake, resume_json);
    resume += session::handshake_ack_packet;
    m = {};
    m.type = session::message_type::request;
    m.id = 1;
    m.route = "echo.echo";
    m.payload = R"({"x":1})";
    (void)session::encode_data_packet(resume, m);
    write("gate_connection", "resume", resume);
    write(
        "gate_options", "resume",
        R"({"resume":{"enabled":true,"grace_ms":30000,"buffer_bytes":1048576,"buffer_packets":8192,"max_parked_sessions":100000}})");
}

void cluster_seeds() {
    using namespace cluster;
    nonce n{};
    for (std::size_t i = 0; i < n.size(); ++i) n[i] = static_cast<std::uint8_t>(i * 13);
    hello_frame hello;
    hello.codec = rpc::codec::json;
    hello.max_frame = 8 * 1024 * 1024;
    hello.heartbeat_ms = 1000;
    hello.sender_incarnation = 77;
    hello.nonce = n;
    hello.cluster = "demo";
    hello.sender_node = "gate-1";
    hello.target_node = "game-1";
    hello.services = {"gate", "chat"};
    welcome_frame welcome;
    welcome.max_frame = 8 * 1024 * 1024;
    welcome.heartbeat_ms = 1000;
    welcome.node_incarnation = 99;
    welcome.node = "game-1";
    welcome.services = {"room"};
    call_frame call;
    call.call_id = 0x0102030405060708ull;
    call.reply_to_worker = 3;
    call.target_node = "game-1";
    call.target_incarnation = 0xfeedfacecafebeefull;
    call.deadline_ms = 1500;
    call.source_service = "lobby";
    call.target_service = "room";
    call.route = "room.join";
    call.origin = client_origin{"gate-1", 42, "uid-7"};
    call.payload = R"({"nick":"ann"})";
    notify_frame notify;
    notify.target_node = "game-1";
    notify.target_incarnation = 5;
    notify.target_service = "room";
    notify.route = "room.leave";
    notify.payload = std::string_view("\0\1\2", 3);
    const std::pair<const char*, frame> frames[] = {
        {"challenge", challenge_frame{protocol_version, n}},
        {"hello", hello},
        {"welcome", welcome},
        {"reject", reject_frame{cluster::errc::bad_signature, "nope"}},
        {"call", call},
        {"reply_ok", reply_frame{7, 2, std::nullopt, "", "", "{\"ok\":true}"}},
        {"reply_error", reply_frame{8, 0, rpc::errc::remote_error, "room_full", "The room is full.", ""}},
        {"notify", notify},
        {"heartbeat", heartbeat_frame{}},
        {"leave", leave_frame{"shutdown"}},
    };
    std::string all;
    for (const auto& [name, f] : frames) {
        std::string bytes;
        (void)encode(f, bytes);
        all += bytes;
        write("cluster_frame", name, le(0, 1) + le(0x01020304, 4) + bytes);
    }
    write("cluster_frame", "all", le(3, 1) + le(9, 4) + all);

    // cluster_handshake: step, options, the frame. The hello/welcome match the target's config.
    auto frame_bytes = [](const frame& f) {
        std::string b;
        (void)encode(f, b);
        return b;
    };
    write("cluster_handshake", "sender_challenge",
          le(0, 1) + le(0, 1) + frame_bytes(challenge_frame{protocol_version, n}));
    write("cluster_handshake", "agent_hello", le(1, 1) + le(1, 1) + frame_bytes(hello));
    write("cluster_handshake", "sender_welcome", le(2, 1) + le(1, 1) + frame_bytes(welcome));
    write("cluster_handshake", "reject",
          le(3, 1) + le(0, 1) + frame_bytes(reject_frame{cluster::errc::wrong_cluster, "no"}));

    const std::string cfg =
        R"({"cluster":"chat-demo","secret":"change-me-too","heartbeat_ms":1000,"codec":"json",
"max_frame":8388608,"nodes":{"gate-1":"127.0.0.1:7101","game-1":"127.0.0.1:7201","game-2":"[::1]:7202","old":null}})";
    const std::string next = R"({"cluster":"chat-demo","secret":"change-me-too","heartbeat_ms":1000,
"nodes":{"gate-1":"127.0.0.1:7101","game-1":"127.0.0.1:7209","game-3":"localhost:7203","old":"127.0.0.1:1"}})";
    write("cluster_config", "reload", cfg + std::string(1, '\0') + next);
    write("cluster_config", "same", cfg);
}

void admin_seeds() {
    const std::string token = "Authorization: Bearer fuzz-token\r\n";
    const std::pair<const char*, std::string> requests[] = {
        {"health", "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"node", "GET /node HTTP/1.1\r\n" + token + "\r\n"},
        {"metrics", "GET /metrics?x=1&y=%20 HTTP/1.1\r\n" + token + "\r\n"},
        {"cluster", "GET /cluster HTTP/1.1\r\n" + token + "\r\n"},
        {"sessions", "GET /sessions?uid=ann HTTP/1.1\r\n" + token + "\r\n"},
        {"kick",
         "POST /sessions/1/kick HTTP/1.1\r\n" + token + "Content-Length: 17\r\n\r\n{\"reason\":\"bye\"}\n"},
        {"log_level",
         "PUT /log-level HTTP/1.1\r\n" + token + "Content-Length: 17\r\n\r\n{\"level\":\"warn\"}\n"},
        {"reload_dry", "POST /cluster/reload?dry_run=1 HTTP/1.1\r\n" + token +
                           "Transfer-Encoding: "
                           "chunked\r\n\r\n49\r\n{\"cluster\":\"fuzz\",\"secret\":\"s\",\"nodes\":{\"fuzz-"
                           "1\":\"127.0.0.1:1\",\"b\":null}}\r\n0\r\n\r\n"},
        {"pipelined", "GET /health HTTP/1.1\r\n\r\nDELETE /node HTTP/1.0\r\n\r\n"},
    };
    for (const auto& [name, bytes] : requests) write("admin_http", name, bytes);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: make_seeds DIR\n";
        return 2;
    }
    root = argv[1];
    client_seeds();
    cluster_seeds();
    admin_seeds();
    return 0;
}
