#pragma once

namespace reef::app {

// `reef` and its subcommands. Returns the process exit status: 0 success, 1 a failure while
// running, 2 a usage or spec error, 130 a run stopped by a signal.
int runCli(int argc, char** argv);

}  // namespace reef::app
