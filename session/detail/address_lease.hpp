#pragma once
// A connection's slot in its gate's per-address table (address_limits.hpp): held by whatever
// owns the connection (the WebSocket port while it speaks HTTP, then the session), given back
// when it is reset or destroyed. Empty when the limits are off or the address is exempt.
// Private to the session module.
//
// Move-only. Reset on the connection's worker; the release is posted to the gate's home
// worker, which owns the table (no lock).

#include "session/detail/ip_network.hpp"

namespace hearth::session {
class gate;
}

namespace hearth::session::detail {

class address_lease {
  public:
    address_lease() noexcept = default;
    address_lease(gate& g, const address_key& address) noexcept : gate_(&g), address_(address) {}
    address_lease(address_lease&& o) noexcept : gate_(o.gate_), address_(o.address_) { o.gate_ = nullptr; }
    address_lease& operator=(address_lease&& o) noexcept {
        if (this != &o) {
            reset();
            gate_ = o.gate_;
            address_ = o.address_;
            o.gate_ = nullptr;
        }
        return *this;
    }
    address_lease(const address_lease&) = delete;
    address_lease& operator=(const address_lease&) = delete;
    ~address_lease() { reset(); }

    /// Gives the slot back (once); a no-op when empty.
    void reset() noexcept;
    explicit operator bool() const noexcept { return gate_ != nullptr; }

  private:
    gate* gate_ = nullptr;
    address_key address_;
};

}  // namespace hearth::session::detail
