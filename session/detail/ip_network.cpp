#include "session/detail/ip_network.hpp"

#include <charconv>

#include <boost/asio/ip/address.hpp>

namespace hearth::session::detail {

namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

address_key address_key::v4(const std::array<std::uint8_t, 4>& b) noexcept {
    address_key k;
    for (std::size_t i = 0; i < 12; ++i) k.bytes[i] = v4_mapped_prefix[i];
    for (std::size_t i = 0; i < 4; ++i) k.bytes[12 + i] = b[i];
    return k;
}

address_key address_key::v6(const std::array<std::uint8_t, 16>& b) noexcept {
    address_key k;
    k.bytes = b;  // an IPv4-mapped address is already the form v4() stores
    return k;
}

std::optional<address_key> address_key::parse(std::string_view text) {
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(std::string(text), ec);
    if (ec) return std::nullopt;
    if (a.is_v4()) return v4(a.to_v4().to_bytes());
    return v6(a.to_v6().to_bytes());
}

bool address_key::is_v4() const noexcept {
    for (std::size_t i = 0; i < 12; ++i)
        if (bytes[i] != v4_mapped_prefix[i]) return false;
    return true;
}

std::string address_key::to_string() const {
    if (is_v4()) return boost::asio::ip::address_v4({bytes[12], bytes[13], bytes[14], bytes[15]}).to_string();
    return boost::asio::ip::address_v6(bytes).to_string();
}

std::size_t address_key_hash::operator()(const address_key& k) const noexcept {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a: 16 bytes, no allocation
    for (auto b : k.bytes) {
        h ^= b;
        h *= 1099511628211ull;
    }
    return static_cast<std::size_t>(h);
}

std::optional<ip_network> ip_network::parse(std::string_view cidr) {
    const auto slash = cidr.find('/');
    const std::string_view host = cidr.substr(0, slash);
    // A scope ("fe80::1%eth0") names an interface, not a network: refuse it.
    if (host.empty() || host.find('%') != std::string_view::npos) return std::nullopt;
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(std::string(host), ec);
    if (ec) return std::nullopt;
    const unsigned width = a.is_v4() ? 32 : 128;
    unsigned bits = width;
    if (slash != std::string_view::npos) {
        const std::string_view p = cidr.substr(slash + 1);
        if (p.empty() || p.size() > 3) return std::nullopt;
        const auto [end, err] = std::from_chars(p.data(), p.data() + p.size(), bits);
        if (err != std::errc{} || end != p.data() + p.size() || bits > width) return std::nullopt;
    }
    ip_network n;
    n.base_ = a.is_v4() ? address_key::v4(a.to_v4().to_bytes()) : address_key::v6(a.to_v6().to_bytes());
    n.prefix_ = a.is_v4() ? 96 + bits : bits;
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned keep = n.prefix_ > i * 8 ? std::min(8u, n.prefix_ - i * 8) : 0;
        n.base_.bytes[i] &= static_cast<std::uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
    }
    return n;
}

bool ip_network::contains(const address_key& a) const noexcept {
    unsigned left = prefix_;
    for (std::size_t i = 0; i < 16 && left > 0; ++i) {
        const unsigned keep = std::min(8u, left);
        const auto mask = static_cast<std::uint8_t>(0xff << (8 - keep));
        if ((a.bytes[i] & mask) != base_.bytes[i]) return false;
        left -= keep;
    }
    return true;
}

}  // namespace hearth::session::detail
