#include "session/gate_methods.hpp"

namespace hearth::session {

void to_json(nlohmann::json& j, const broadcast_request& r) {
    j = nlohmann::json::object();
    j["route"] = r.route;
    j["payload"] = r.payload ? *r.payload : std::string();
    j["sessions"] = r.sessions ? *r.sessions : std::vector<std::uint64_t>();
}

void from_json(const nlohmann::json& j, broadcast_request& r) {
    r.route = j.at("route").get<std::string>();
    r.payload = std::make_shared<const std::string>(j.at("payload").get<std::string>());
    r.sessions = std::make_shared<const std::vector<std::uint64_t>>(
        j.at("sessions").get<std::vector<std::uint64_t>>());
}

}  // namespace hearth::session
