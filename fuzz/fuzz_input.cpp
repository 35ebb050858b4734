#include "fuzz/fuzz_input.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace reef::fuzz {

namespace {

std::filesystem::path& scratch() {
  static std::filesystem::path dir;
  return dir;
}

void removeScratch() {
  std::error_code ec;
  std::filesystem::remove_all(scratch(), ec);
}

}  // namespace

std::filesystem::path asFile(const uint8_t* data, size_t size, const std::string& suffix) {
  std::filesystem::path& dir = scratch();
  if (dir.empty()) {
    dir = std::filesystem::temp_directory_path() / ("reef-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::atexit(removeScratch);  // (a finding aborts and leaves it, with the input that found it)
  }
  const std::filesystem::path file = dir / ("input" + suffix);
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return file;
}

void finding(const std::string& what) {
  std::fprintf(stderr, "reef-fuzz finding: %s\n", what.c_str());
  std::abort();
}

}  // namespace reef::fuzz
