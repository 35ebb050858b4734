#pragma once
// SIGINT and SIGTERM ask the trainer to stop: it finishes the current step, writes a checkpoint
// and ends the run as cancelled. A second signal ends the process at once.
namespace reef::engine {

void installStopHandlers();
bool stopRequested();

}  // namespace reef::engine
