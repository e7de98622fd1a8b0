// The sender's queue: records and their fields survive pushes, swaps and clears intact.
#include "cluster/detail/send_queue.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using hearth::cluster::detail::send_queue;

TEST_CASE("send_queue keeps every field of every message, in order, across swaps", "[cluster][send_queue]") {
    send_queue q, other;
    hearth::client_origin origin{"gate-1", 77, "user-9"};
    std::vector<std::string> payloads;
    for (int i = 0; i < 1000; ++i)
        payloads.push_back(std::string(static_cast<std::size_t>(i % 97), 'a' + i % 26));
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 1000; ++i) {
            hearth::outbound_message m;
            m.node = "game-1";
            m.service = i % 2 ? "room" : "chat";
            m.route = i % 2 ? "room.join" : "chat.say";
            m.payload = payloads[static_cast<std::size_t>(i)];
            m.source = i % 3 ? "lobby@gate-1" : "";
            m.one_way = i % 4 == 0;
            m.reply_to =
                hearth::reply_address{static_cast<unsigned>(i % 5), static_cast<std::uint64_t>(i) * 7};
            m.client = i % 5 == 0 ? &origin : nullptr;
            q.push(m);
        }
        q.swap(other);  // what the writer does: callers keep appending to the other one
        REQUIRE(q.empty());
        REQUIRE(other.size() == 1000);
        for (int i = 0; i < 1000; ++i) {
            const auto& e = other[static_cast<std::size_t>(i)];
            const auto f = other.fields(e);
            INFO("round " << round << ", message " << i);
            REQUIRE(f.service == (i % 2 ? "room" : "chat"));
            REQUIRE(f.route == (i % 2 ? "room.join" : "chat.say"));
            REQUIRE(f.payload == payloads[static_cast<std::size_t>(i)]);
            REQUIRE(f.source == (i % 3 ? "lobby@gate-1" : ""));
            REQUIRE(e.one_way == (i % 4 == 0));
            REQUIRE(e.reply_to.worker == static_cast<unsigned>(i % 5));
            REQUIRE(e.reply_to.call_id == static_cast<std::uint64_t>(i) * 7);
            REQUIRE(e.has_origin == (i % 5 == 0));
            if (e.has_origin) {
                REQUIRE(f.gate_node == "gate-1");
                REQUIRE(e.session_id == 77);
                REQUIRE(f.uid == "user-9");
            }
        }
        other.clear();
        REQUIRE(other.empty());
        REQUIRE(other.bytes() == 0);
    }
    other.trim();
    CHECK(other.empty());
}

TEST_CASE("send_queue counts the bytes a message takes in its arena", "[cluster][send_queue]") {
    hearth::client_origin origin{"g", 1, "uid"};
    hearth::outbound_message m;
    m.service = "svc";
    m.route = "svc.m";
    m.payload = "12345";
    m.source = "a@b";
    CHECK(send_queue::bytes_for(m) == 3 + 5 + 5 + 3);
    m.client = &origin;
    CHECK(send_queue::bytes_for(m) == 3 + 5 + 5 + 3 + 1 + 3);
    send_queue q;
    q.push(m);
    CHECK(q.bytes() == send_queue::bytes_for(m));
}
