#pragma once
// The Curves dashboard's layout, saved per workspace in <workspace>/dashboard.json: pinned
// panels (shown first, in their order), hidden panels, the order the user gave panels within
// their sections, and collapsed sections. Plain data, tested apart from the widgets.
#include <QList>
#include <QPair>
#include <QSet>
#include <QString>
#include <QStringList>

class QJsonObject;

namespace reef::ui {

struct DashboardSection {
  QString name;      // "pinned", a metric prefix ("train", "val", ...) or "other"
  QStringList keys;  // its panels, in display order
};

struct DashboardLayout {
  QStringList pinned;
  QSet<QString> hidden;
  QStringList order;  // every key the user has ordered, in that order; the rest follow by name
  QSet<QString> collapsed;

  static constexpr const char* kPinned = "pinned";
  static QString fileIn(const QString& workspace);
  // A metric's section: its prefix before the first '/', or "other" when it has none.
  static QString sectionOf(const QString& key);
  // The panels to show: pinned first, then train, val, test, perf, system and the other
  // sections by name; hidden keys and keys not containing `filter` (any case) left out.
  QList<DashboardSection> arrange(const QStringList& keys, const QString& filter = {}) const;
  // Moves a panel `delta` places within its section (pinned panels within the pinned ones).
  void move(const QString& key, int delta, const QStringList& keys);
  void setPinned(const QString& key, bool on);

  static DashboardLayout load(const QString& file);  // an empty layout when missing or unreadable
  bool save(const QString& file) const;
};

}  // namespace reef::ui
