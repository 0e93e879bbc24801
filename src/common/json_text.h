// JsonText: the JSON text of a value for an HTTP answer. Text in our answers often comes from a request (a
// path, a header, a message attribute) and need not be UTF-8; nlohmann::json's dump() throws on such bytes,
// and a throw out of a cpp-httplib error handler or pool thread ends the process. Here they become U+FFFD.
#ifndef SCHEDSVC_COMMON_JSON_TEXT_H_
#define SCHEDSVC_COMMON_JSON_TEXT_H_

#include <string>

#include "nlohmann/json.hpp"

namespace schedsvc {

// Compact JSON text of `value`; bytes that are not UTF-8 are written as U+FFFD. Never throws for text.
std::string JsonText(const nlohmann::json& value);

}  // namespace schedsvc

#endif  // SCHEDSVC_COMMON_JSON_TEXT_H_
