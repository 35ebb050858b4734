#pragma once
// SIGINT and SIGTERM ask the trainer to stop: it finishes the current step, writes a checkpoint
// and ends the run as cancelled. A second signal ends the process at once.
#include <string>

namespace reef::engine {

void installStopHandlers();
bool stopRequested();
// Who asked this process to stop: "SIGTERM from slurmstepd (pid 4711)", "SIGINT" (a terminal's
// Ctrl+C has no sender), or "" when no signal came. A stop nobody remembers giving (a scheduler
// clearing a node, a supervisor) is then named in the run's log.
std::string stopSignalSource();

}  // namespace reef::engine
