#include "ui/plots/dashboard_layout.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <algorithm>

namespace reef::ui {

namespace {

const QStringList kFirstSections = {"train", "val", "test", "perf", "system"};

QJsonArray toArray(const QStringList& list) { return QJsonArray::fromStringList(list); }

QStringList toList(const QJsonValue& value) {
  QStringList out;
  for (const auto& v : value.toArray())
    if (v.isString()) out << v.toString();
  return out;
}

int sectionRank(const QString& section) {
  const int i = static_cast<int>(kFirstSections.indexOf(section));
  return i < 0 ? static_cast<int>(kFirstSections.size()) : i;
}

}  // namespace

QString DashboardLayout::fileIn(const QString& workspace) { return QDir(workspace).filePath("dashboard.json"); }

QString DashboardLayout::sectionOf(const QString& key) {
  const auto slash = key.indexOf('/');
  return slash > 0 ? key.left(slash) : QStringLiteral("other");
}

QList<DashboardSection> DashboardLayout::arrange(const QStringList& keys, const QString& filter) const {
  auto shown = [&](const QString& k) { return !hidden.contains(k) && k.contains(filter, Qt::CaseInsensitive); };
  QList<DashboardSection> out;
  DashboardSection pins{kPinned, {}};
  for (const auto& k : pinned)
    if (keys.contains(k) && shown(k)) pins.keys << k;
  if (!pins.keys.isEmpty()) out << pins;
  QStringList rest;
  for (const auto& k : keys)
    if (!pinned.contains(k) && shown(k)) rest << k;
  std::stable_sort(rest.begin(), rest.end(), [&](const QString& a, const QString& b) {
    const QString sa = sectionOf(a), sb = sectionOf(b);
    if (sa != sb) return sectionRank(sa) != sectionRank(sb) ? sectionRank(sa) < sectionRank(sb) : sa < sb;
    const auto ia = order.indexOf(a), ib = order.indexOf(b);
    if ((ia < 0) != (ib < 0)) return ia >= 0;  // ordered keys first
    return ia != ib ? ia < ib : a < b;
  });
  for (const auto& k : rest) {
    if (out.isEmpty() || out.back().name != sectionOf(k) || out.back().name == kPinned)
      out << DashboardSection{sectionOf(k), {}};
    out.back().keys << k;
  }
  return out;
}

void DashboardLayout::move(const QString& key, int delta, const QStringList& keys) {
  if (pinned.contains(key)) {
    const auto from = pinned.indexOf(key);
    pinned.move(from, std::clamp<qsizetype>(from + delta, 0, pinned.size() - 1));
    return;
  }
  // The whole present order (hidden panels included), with the one panel moved in its section.
  DashboardLayout all = *this;
  all.hidden.clear();
  QStringList present;
  for (const auto& section : all.arrange(keys))
    if (section.name != kPinned) present << section.keys;
  const auto from = present.indexOf(key);
  if (from < 0) return;
  auto to = from;
  for (int step = delta > 0 ? 1 : -1, left = std::abs(delta); left > 0; --left)
    if (to + step >= 0 && to + step < present.size() && sectionOf(present[to + step]) == sectionOf(key)) to += step;
  present.move(from, to);
  for (const auto& k : order)
    if (!present.contains(k)) present << k;  // keys of runs not shown now keep their place
  order = present;
}

void DashboardLayout::setPinned(const QString& key, bool on) {
  pinned.removeAll(key);
  if (on) pinned << key;
}

DashboardLayout DashboardLayout::load(const QString& file) {
  QFile f(file);
  DashboardLayout layout;
  if (!f.open(QIODevice::ReadOnly)) return layout;
  const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
  layout.pinned = toList(o["pinned"]);
  const QStringList hidden = toList(o["hidden"]), collapsed = toList(o["collapsed"]);
  layout.hidden = QSet<QString>(hidden.begin(), hidden.end());
  layout.order = toList(o["order"]);
  layout.collapsed = QSet<QString>(collapsed.begin(), collapsed.end());
  return layout;
}

bool DashboardLayout::save(const QString& file) const {
  QStringList hiddenList(hidden.begin(), hidden.end()), collapsedList(collapsed.begin(), collapsed.end());
  hiddenList.sort();
  collapsedList.sort();
  const QJsonObject o{{"version", 1},
                      {"pinned", toArray(pinned)},
                      {"hidden", toArray(hiddenList)},
                      {"order", toArray(order)},
                      {"collapsed", toArray(collapsedList)}};
  QSaveFile f(file);
  if (!f.open(QIODevice::WriteOnly)) return false;
  f.write(QJsonDocument(o).toJson());
  return f.commit();
}

}  // namespace reef::ui
