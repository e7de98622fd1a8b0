#pragma once
// Files compiled into the chat example (see CMakeLists.txt).

namespace chat {
extern const char* const index_html;      ///< web/index.html
extern const char* const client_js;       ///< clients/js/hearth-client.js
extern const char* const default_config;  ///< config.json
}  // namespace chat
