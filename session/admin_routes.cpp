#include "session/admin_routes.hpp"

#include <charconv>
#include <string>
#include <string_view>

namespace hearth::session {

namespace {

// Parses a non-negative decimal integer; nullopt for anything else (sign, junk, overflow).
std::optional<std::uint64_t> parse_u64(std::string_view text) {
    std::uint64_t v = 0;
    if (text.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

std::uint64_t query_number(const admin_request& req, const std::string& key, std::uint64_t fallback) {
    auto it = req.query.find(key);
    if (it == req.query.end() || it->second.empty()) return fallback;
    auto v = parse_u64(it->second);
    if (!v) throw admin_error(400, "'" + key + "' must be a non-negative integer, not '" + it->second + "'.");
    return *v;
}

}  // namespace

void register_admin_routes(admin_server& admin, gate& g) {
    admin.add_route("GET", "/sessions", false, [&g](const admin_request& req) -> awaitable<admin_response> {
        const auto offset = query_number(req, "offset", 0);
        const auto limit = query_number(req, "limit", default_sessions_page);
        if (limit == 0 || limit > max_sessions_page)
            throw admin_error(400,
                              "'limit' must be between 1 and " + std::to_string(max_sessions_page) + ".");
        auto page =
            co_await g.list_sessions(static_cast<std::size_t>(offset), static_cast<std::size_t>(limit));
        const auto now = std::chrono::system_clock::now();
        nlohmann::json items = nlohmann::json::array();
        for (const auto& s : page.items) {
            nlohmann::json item;
            item["id"] = std::to_string(s.id);
            item["uid"] = s.uid;
            item["worker"] = s.worker;
            item["since"] = iso_time(s.since);
            item["age_seconds"] = std::chrono::duration<double>(now - s.since).count();
            // Parked: its connection was lost and it waits for a resume (docs/resume.md).
            item["parked"] = s.parked_since.has_value();
            if (s.parked_since) {
                item["parked_since"] = iso_time(*s.parked_since);
                item["parked_seconds"] = std::chrono::duration<double>(now - *s.parked_since).count();
            }
            items.push_back(std::move(item));
        }
        admin_response r;
        r.body["gate"] = g.name();
        r.body["node"] = g.node().name();
        r.body["total"] = page.total;
        r.body["parked"] = g.parked_count();
        r.body["offset"] = offset;
        r.body["limit"] = limit;
        r.body["items"] = std::move(items);
        co_return r;
    });

    admin.add_route(
        "POST", "/sessions/{id}/kick", true, [&g](const admin_request& req) -> awaitable<admin_response> {
            const auto& text = req.params.at("id");
            auto id = parse_u64(text);
            if (!id) throw admin_error(400, "'" + text + "' is not a session id (a decimal number).");
            std::string reason = "kicked by an administrator";
            if (auto doc = req.json()) {
                if (!doc->is_object())
                    throw admin_error(400, "The body must be a JSON object: {\"reason\": \"...\"}.");
                if (auto it = doc->find("reason"); it != doc->end()) {
                    if (!it->is_string()) throw admin_error(400, "'reason' must be a string.");
                    reason = it->get<std::string>();
                }
            }
            std::string reason_copy = reason;
            const bool kicked = co_await g.kick_session(*id, std::move(reason_copy));
            if (!kicked) throw admin_error(404, "No live session " + text + " on gate '" + g.name() + "'.");
            admin_response r;
            r.body["kicked"] = text;
            r.body["reason"] = reason;
            co_return r;
        });

    admin.add_route("POST", "/tls/reload", true, [&g](const admin_request&) -> awaitable<admin_response> {
        auto fingerprint = g.reload_tls();
        if (!fingerprint) {
            const bool no_port =
                fingerprint.error().code == std::make_error_code(std::errc::operation_not_supported);
            throw admin_error(no_port ? 404 : 422, fingerprint.error().message);
        }
        const auto now = g.tls();
        admin_response r;
        r.body["gate"] = g.name();
        r.body["fingerprint_sha256"] = *fingerprint;
        r.body["subject"] = now ? now->subject() : std::string();
        r.body["not_after"] = now ? now->not_after() : std::string();
        co_return r;
    });
}

}  // namespace hearth::session
