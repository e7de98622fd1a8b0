#pragma once
// The login service: binds the session's uid, which the gate then carries in every later
// request of that session (call_context::client->uid).

#include "framework/service.hpp"
#include "messages.hpp"

namespace mygame {

class login_service : public hearth::service {
  public:
    login_service();

  private:
    hearth::awaitable<hearth::result<login_reply>> on_login(const hearth::call_context& ctx,
                                                            login_request req);
};

}  // namespace mygame
