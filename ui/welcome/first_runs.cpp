#include "ui/welcome/first_runs.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>

namespace reef::ui {

std::optional<FirstRun> parseFirstRun(const QString& path, const QString& text) {
  static const QRegularExpression marker(R"(^# first run: (.+?) \| (\d+) (s|min)\s*$)");
  FirstRun run;
  QStringList summary;
  bool marked = false;
  for (const QString& line : text.split('\n')) {
    if (!line.startsWith('#')) break;  // the header ends at the first spec line
    const auto m = marker.match(line);
    if (m.hasMatch()) {
      run.title = m.captured(1);
      run.seconds = m.captured(2).toInt() * (m.captured(3) == "min" ? 60 : 1);
      run.time = m.captured(2) + " " + m.captured(3);
      marked = true;
    } else {
      summary << line.mid(1).trimmed();
    }
  }
  if (!marked) return std::nullopt;
  run.path = path;
  run.collection = QFileInfo(path).dir().dirName();
  run.summary = summary.join(' ');
  return run;
}

QList<FirstRun> firstRuns(const QStringList& specs) {
  QList<FirstRun> runs;
  for (const QString& path : specs) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) continue;
    if (auto run = parseFirstRun(path, QString::fromUtf8(file.readAll()))) runs << *run;
  }
  std::stable_sort(runs.begin(), runs.end(),
                   [](const FirstRun& a, const FirstRun& b) { return a.seconds < b.seconds; });
  return runs;
}

}  // namespace reef::ui
