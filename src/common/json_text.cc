#include "src/common/json_text.h"

namespace schedsvc {

std::string JsonText(const nlohmann::json& value) {
  constexpr int kCompact = -1;
  constexpr char kIndentChar = ' ';
  constexpr bool kEnsureAscii = false;
  return value.dump(kCompact, kIndentChar, kEnsureAscii, nlohmann::json::error_handler_t::replace);
}

}  // namespace schedsvc
