#include "backend/cluster/shell_quote.h"

#include <stdexcept>

namespace reef::cluster {

std::string shellQuote(const std::string& value) {
  if (value.find('\0') != std::string::npos) throw std::invalid_argument("a shell word cannot contain a NUL byte");
  std::string out = "'";
  for (char c : value) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string shellCommand(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += shellQuote(w);
  }
  return out;
}

}  // namespace reef::cluster
