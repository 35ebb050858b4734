#pragma once
// Remote commands are strings a shell parses: every path and value Reef puts into one is quoted
// here, so that no user text (a run name, a path with spaces, quotes, `;` or `$(...)`) is ever
// read as shell syntax.
#include <string>
#include <vector>

namespace reef::cluster {

// POSIX single quotes: 'it'\''s' for it's. Safe for any byte string without NUL.
std::string shellQuote(const std::string& value);

// The words quoted and joined by spaces: a command line whose words are exactly `words`.
std::string shellCommand(const std::vector<std::string>& words);

}  // namespace reef::cluster
