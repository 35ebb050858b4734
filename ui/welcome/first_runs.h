#pragma once
// The welcome page's cards: the example specs that mark themselves as a collection's first run
// with a comment line `# first run: <title> | <N> s|min` (the time it takes on 2 cores); the
// other leading comment lines describe it. A collection adds its card by adding that line to one
// of its examples.
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace reef::ui {

struct FirstRun {
  QString path;        // the example spec
  QString collection;  // its folder under examples/
  QString title, time, summary;
  int seconds = 0;  // the time, for ordering
};

// From a spec's text; nothing when it has no well-formed `# first run:` line.
std::optional<FirstRun> parseFirstRun(const QString& path, const QString& text);
// The first runs among the `specs` files, quickest first.
QList<FirstRun> firstRuns(const QStringList& specs);

}  // namespace reef::ui
