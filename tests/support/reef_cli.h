#pragma once
// Runs the real `reef` binary for integration tests and reads what it leaves behind.
#include "backend/protocol/event_log.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace reef::test {

struct ReefRun {
  int exitCode = -1;
  QProcess::ExitStatus exitStatus = QProcess::NormalExit;
  QString out, err;
  double seconds = 0;
};

inline QString sourceDir() { return QStringLiteral(REEF_SOURCE_DIR); }
inline QString example(const QString& relative) { return sourceDir() + "/resources/examples/" + relative; }

// Runs `program`; one that outlives `timeoutMs` is killed and reported as failed.
inline ReefRun runProgram(const QString& program, const QStringList& args, int timeoutMs = 120000,
                          const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
  QProcess p;
  p.setProcessEnvironment(env);
  QElapsedTimer timer;
  timer.start();
  p.start(program, args);
  const bool finished = p.waitForFinished(timeoutMs);
  if (!finished) {
    p.kill();
    p.waitForFinished();
  }
  ReefRun r;
  r.exitCode = finished ? p.exitCode() : -1;
  r.exitStatus = p.exitStatus();
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  if (!finished)
    r.err += QString("\n[%1 killed after %2 s: it did not finish in time]").arg(program).arg(timeoutMs / 1000);
  r.seconds = timer.elapsed() / 1000.0;
  return r;
}

inline ReefRun runReef(const QStringList& args, int timeoutMs = 120000,
                       const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
  return runProgram(QStringLiteral(REEF_BINARY), args, timeoutMs, env);
}

inline std::vector<Json> eventsOf(const std::filesystem::path& runDir) {
  return protocol::readEvents(runDir / "events.jsonl");
}

inline std::vector<Json> eventsOfType(const std::filesystem::path& runDir, const std::string& type) {
  std::vector<Json> out;
  for (auto& e : eventsOf(runDir))
    if (e.value("t", "") == type) out.push_back(e);
  return out;
}

inline std::string fileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace reef::test
