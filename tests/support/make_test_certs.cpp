// hearth_test_certs DIR: writes the test PKI (test_certs.hpp, write_test_pki) into DIR, for
// the Node.js and Chromium TLS tests. Exit 0 on success, 1 with a message on failure.

#include <exception>
#include <iostream>

#include "tests/support/test_certs.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: hearth_test_certs DIR\n";
        return 2;
    }
    try {
        hearth::test::write_test_pki(argv[1]);
    } catch (const std::exception& e) {
        std::cerr << "hearth_test_certs: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
