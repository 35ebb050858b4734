#pragma once
// Other programs run without a shell: each argument reaches the program as it is, whatever it
// holds (spaces, quotes, `$(...)`, newlines), so no path or setting a user wrote is ever read as a
// command. The first argument is searched on PATH when it has no '/'.
#include <optional>
#include <string>
#include <vector>

namespace reef::protocol {

// Runs the program with this process's standard input, output and error; returns its exit status,
// or -1 when it could not be started or was killed by a signal.
int runProgram(const std::vector<std::string>& argv);

// Runs the program with no input and its errors discarded; returns what it wrote to standard
// output, or nothing when it could not be started or did not exit with 0.
std::optional<std::string> programOutput(const std::vector<std::string>& argv);

}  // namespace reef::protocol
