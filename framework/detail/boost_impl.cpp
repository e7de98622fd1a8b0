// The one translation unit that compiles Asio and Beast (BOOST_*_SEPARATE_COMPILATION),
// Asio's SSL support included (OpenSSL: the gate's TLS ports, admin HTTPS, cluster TLS).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
