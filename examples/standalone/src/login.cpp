#include "login.hpp"

#include "session/ref.hpp"

namespace mygame {

login_service::login_service() {
    handle(login, &login_service::on_login);
}

hearth::awaitable<hearth::result<login_reply>> login_service::on_login(const hearth::call_context& ctx,
                                                                       login_request req) {
    auto session = hearth::session::ref::from(ctx);
    if (!session) co_return hearth::app_error("not_a_client", "login.login is for clients.");
    if (req.name.empty() || req.name.size() > 32)
        co_return hearth::app_error("bad_name", "A name of 1 to 32 characters is required.");
    // A real game checks a token here (co_await a call to an account service).
    auto bound = co_await session->bind(req.name);
    if (!bound) co_return std::move(bound).error();
    co_return login_reply{req.name};
}

}  // namespace mygame
