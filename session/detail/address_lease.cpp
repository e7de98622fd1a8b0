#include "session/detail/address_lease.hpp"

#include "session/gate.hpp"

namespace hearth::session::detail {

void address_lease::reset() noexcept {
    if (!gate_) return;
    gate* g = gate_;
    gate_ = nullptr;
    g->release_address(address_);
}

}  // namespace hearth::session::detail
