#pragma once
// Keeps every unfinished cluster run of a workspace followed: a `reef runs follow` process per run
// (detached, so it keeps copying events while the studio is closed; one per run, by its lock).
// After a dropped link or a restart of the studio, the next check starts a follower again, which
// carries on from the local offsets.
#include <QString>

namespace reef::ui {

// Starts `reef runs follow RUN_DIR` detached (its output in the run's logs/follower.log).
void startFollower(const QString& reefBinary, const QString& runDir);

// Starts a follower for each cluster run under <workspace>/runs that has not finished and that no
// process follows; returns how many were started.
int followUnfinishedClusterRuns(const QString& reefBinary, const QString& workspace);

}  // namespace reef::ui
