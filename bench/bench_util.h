#pragma once
// What every benchmark here needs: medians, integer and text options, and the JSON lines its Python
// baseline prints.
#include "backend/protocol/json.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace reef::bench {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// `--name N` from the command line, or `fallback`.
inline int argValue(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == name) return std::atoi(argv[i + 1]);
  return fallback;
}

// `--name TEXT` from the command line, or `fallback`.
inline std::string argText(int argc, char** argv, const char* name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == name) return argv[i + 1];
  return fallback;
}

// Runs a Python baseline and returns the JSON lines it printed that carry `key`.
inline std::vector<Json> pythonLines(const std::string& command, const std::string& key) {
  FILE* python = popen(command.c_str(), "r");
  if (!python) throw std::runtime_error("cannot start `" + command + "`");
  std::vector<Json> out;
  std::string line;
  for (int c; (c = std::fgetc(python)) != EOF;) {
    if (c != '\n') {
      line.push_back(static_cast<char>(c));
      continue;
    }
    Json result = Json::parse(line, nullptr, false);
    if (!result.is_discarded() && result.contains(key)) out.push_back(std::move(result));
    line.clear();
  }
  if (pclose(python) != 0 || out.empty())
    throw std::runtime_error("the Python side failed: run `" + command + "` to see why");
  return out;
}

// The JSON lines of a timing baseline (python3-torch), those with "ms_per_step".
inline std::vector<Json> pythonResults(const std::string& command) { return pythonLines(command, "ms_per_step"); }

}  // namespace reef::bench
