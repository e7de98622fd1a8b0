#pragma once
// Client addresses as the per-address limits see them, and networks (CIDR) to match them
// against. Private to the session module; no Asio here (gate.hpp includes it).
//
// Every address is kept in the 16-byte IPv6 form: an IPv4 address a.b.c.d is stored as its
// IPv4-mapped form ::ffff:a.b.c.d, so a client that reaches a dual-stack listener as
// ::ffff:10.1.2.3 and one that reaches an IPv4 listener as 10.1.2.3 are the same address, and an
// IPv4 network a.b.c.d/n is the IPv6 network ::ffff:a.b.c.d/(96+n).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::session::detail {

/// A client's IP address (no port, no IPv6 scope), 16 bytes in network order.
struct address_key {
    std::array<std::uint8_t, 16> bytes{};

    static address_key v4(const std::array<std::uint8_t, 4>& b) noexcept;
    static address_key v6(const std::array<std::uint8_t, 16>& b) noexcept;
    /// Parses "10.1.2.3", "::1", "::ffff:10.1.2.3" (scope "%eth0" ignored); nullopt otherwise.
    static std::optional<address_key> parse(std::string_view text);

    bool is_v4() const noexcept;  ///< an IPv4 address (or its IPv4-mapped IPv6 form)
    /// "10.1.2.3" for IPv4 (mapped or not), "2001:db8::1" otherwise.
    std::string to_string() const;

    friend bool operator==(const address_key&, const address_key&) = default;
};

struct address_key_hash {
    std::size_t operator()(const address_key& k) const noexcept;
};

/// An IP network, "10.0.0.0/8" or "::1/128" (a bare address is a /32 or /128).
class ip_network {
  public:
    /// Parses a CIDR; bits after the prefix are ignored ("10.1.2.3/8" is 10.0.0.0/8). nullopt
    /// for anything else (no address, a prefix over 32 for IPv4 or 128 for IPv6, junk).
    static std::optional<ip_network> parse(std::string_view cidr);

    bool contains(const address_key& a) const noexcept;
    unsigned prefix_bits() const noexcept { return prefix_; }  ///< in the 128-bit form

  private:
    address_key base_;     // masked to prefix_ bits
    unsigned prefix_ = 0;  // 0..128, counted in the 16-byte form
};

}  // namespace hearth::session::detail
