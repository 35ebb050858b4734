#include "ui/sweeps/sweep_process.h"

#include "backend/cluster/local_backend.h"

#include <QDateTime>
#include <QDir>
#include <QProcess>

namespace reef::ui {

QString previewSweep(const QString& reef, const QString& file, const QString& workspace, bool& ok) {
  QProcess p;
  p.start(reef, {"sweep", file, "--preview", "--workspace", workspace});
  ok = p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
  const QString out = QString::fromUtf8(p.readAllStandardOutput()), err = QString::fromUtf8(p.readAllStandardError());
  if (!ok && err.isEmpty() && out.isEmpty()) return QObject::tr("could not run %1: %2").arg(reef, p.errorString());
  return ok ? out : err + out;
}

void startSweepProcess(const QString& reef, const QStringList& args, const QString& workspace, const QString& logFile) {
  std::vector<std::string> argv{reef.toStdString(), "sweep"};
  for (const auto& a : args) argv.push_back(a.toStdString());
  argv.insert(argv.end(), {"--workspace", workspace.toStdString()});
  cluster::spawnDetached(argv, logFile.toStdString());
}

QString launchLog(const QString& workspace) {
  QDir(workspace).mkpath("sweeps");
  return workspace + "/sweeps/.launch-" + QDateTime::currentDateTimeUtc().toString("yyyyMMdd-HHmmss-zzz") + ".log";
}

}  // namespace reef::ui
