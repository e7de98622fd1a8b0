#pragma once
// The session module's admin routes: list the sessions of a gate, kick one, reload the
// certificate of its TLS ports.
//
//   GET  /sessions?offset=0&limit=100   -> {"gate": "gate", "node": "gate-1", "total": N,
//                                           "offset": 0, "limit": 100,
//                                           "items": [{"id": "...", "uid": "...", "worker": 1,
//                                                      "since": "2026-11-21T08:00:00.123Z"}]}
//   POST /sessions/{id}/kick            body optional: {"reason": "..."}
//                                       -> 200 {"kicked": "<id>", "reason": "..."}; 404 unknown id
//   POST /tls/reload                    -> 200 {"gate": "gate", "fingerprint_sha256": "AB:…",
//                                           "subject": "CN=…", "not_after": "Dec  1 … GMT"}
//                                       422 the files do not load (the message names the file;
//                                       the previous certificate stays); 404 no TLS port
//
// Ids are decimal strings in JSON (64-bit values do not survive JavaScript numbers). `limit`
// defaults to 100 and is capped at 1000; a bad `offset`, `limit` or id is a 400. The kick and
// reload routes are mutating (needs the admin token). The gate must outlive the admin server's use of it
// (register routes of a gate that lives as long as the node, as gates do).

#include "framework/admin.hpp"
#include "session/gate.hpp"

namespace hearth::session {

inline constexpr std::size_t default_sessions_page = 100;
inline constexpr std::size_t max_sessions_page = 1000;

/// Adds GET /sessions, POST /sessions/{id}/kick and POST /tls/reload for `g` to `admin`. Call
/// once per server.
void register_admin_routes(admin_server& admin, gate& g);

}  // namespace hearth::session
