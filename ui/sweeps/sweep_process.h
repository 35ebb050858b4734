#pragma once
// The `reef sweep` processes the studio starts: the preview it waits for, and controllers that run
// in the background (their own session, so they keep running when the studio closes).
#include <QString>
#include <QStringList>

namespace reef::ui {

// `reef sweep FILE --preview`: the plan, or why the file cannot run (`ok` false).
QString previewSweep(const QString& reef, const QString& file, const QString& workspace, bool& ok);
// Starts `reef sweep ARGS --workspace W` in the background, its output appended to `logFile`;
// throws std::runtime_error when it cannot start.
void startSweepProcess(const QString& reef, const QStringList& args, const QString& workspace, const QString& logFile);
// Where a new sweep's controller writes before its folder exists: <workspace>/sweeps/.launch-<utc>.log.
QString launchLog(const QString& workspace);

}  // namespace reef::ui
