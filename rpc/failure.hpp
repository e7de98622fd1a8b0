#pragma once
// failure and outcome<T>: the error shape of every fallible operation that is not a call
// (configuration parsing, wire decoding, handshakes, links): a std::error_code for programs and
// one full sentence for people. outcome<T> is basic_result<T, failure> (rpc/basic_result.hpp
// states the contract); cluster::outcome and the session's parsers use it.

#include <string>
#include <system_error>
#include <utility>

#include "rpc/basic_result.hpp"

namespace hearth::rpc {

/// A failure: a code for programs (test it, or its error condition, with ==) and a sentence
/// for people ("Node 'a.b': the name may only contain letters, digits, '-' and '_'."). The
/// message is never empty: an empty one is replaced by the code's own sentence.
struct failure {
    std::error_code code;
    std::string message;

    failure(std::error_code c, std::string msg) : code(c), message(std::move(msg)) {
        if (message.empty()) message = code.message();
    }

    friend bool operator==(const failure& f, const std::error_code& c) noexcept { return f.code == c; }
    friend bool operator==(const failure& f, const std::error_condition& c) noexcept { return f.code == c; }
};

/// value() of an outcome holding a failure throws bad_result_access(code, message).
[[noreturn]] inline void throw_exception_from_error(const failure& f) {
    throw bad_result_access(f.code, f.message);
}

template <class T>
using outcome = basic_result<T, failure>;

}  // namespace hearth::rpc
