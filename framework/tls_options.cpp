#include "framework/tls_options.hpp"

#include <nlohmann/json.hpp>

namespace hearth {
namespace {

rpc::failure invalid(std::string sentence) {
    return rpc::failure{std::make_error_code(std::errc::invalid_argument), std::move(sentence)};
}

}  // namespace

rpc::outcome<tls_options> tls_options::from_json(const nlohmann::json& j, std::string_view where,
                                                 std::string_view ca_key) {
    const std::string w(where);
    if (!j.is_object()) return invalid("The " + w + " must be a JSON object.");
    tls_options o;
    for (const auto& [key, v] : j.items()) {
        std::string* field = nullptr;
        if (key == "certificate_chain_file")
            field = &o.certificate_chain_file;
        else if (key == "private_key_file")
            field = &o.private_key_file;
        else if (key == "passphrase_env")
            field = &o.passphrase_env;
        else if (key == ca_key)
            field = &o.ca_file;
        else if (key == "min_version")
            field = &o.min_version;
        else if (key == "ciphers")
            field = &o.ciphers;
        else
            return invalid("Unknown key '" + key + "' in the " + w + ".");
        if (!v.is_string()) return invalid("The " + w + " key '" + key + "' must be a string.");
        *field = v.get<std::string>();
    }
    if (o.certificate_chain_file.empty())
        return invalid("The " + w + " needs 'certificate_chain_file' (a PEM file).");
    if (o.private_key_file.empty()) return invalid("The " + w + " needs 'private_key_file' (a PEM file).");
    if (o.min_version != "1.2" && o.min_version != "1.3")
        return invalid("The " + w +
                       " key 'min_version' must be \"1.2\" or \"1.3\" (TLS 1.0 and 1.1 are refused).");
    return o;
}

}  // namespace hearth
