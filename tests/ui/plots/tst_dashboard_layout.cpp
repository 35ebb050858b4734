// The Curves dashboard's layout on its own: sections by prefix in the order users expect,
// pinned panels first, hidden and filtered panels left out, moves that stay within a section,
// and the layout file that keeps all of it per workspace.
#include "ui/plots/dashboard_layout.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace reef::ui;

namespace {

const QStringList kKeys = {
    "loss_scale", "perf/samples_per_s", "system/cpu_percent", "train/loss", "train/lr", "val/acc", "val/loss",
    "zeta/x"};

QStringList names(const QList<DashboardSection>& sections) {
  QStringList out;
  for (const auto& s : sections) out << s.name;
  return out;
}

}  // namespace

class TestDashboardLayout : public QObject {
  Q_OBJECT
 private slots:
  void sectionsFollowTheUsualOrder() {
    const DashboardLayout layout;
    const auto sections = layout.arrange(kKeys);
    QCOMPARE(names(sections), QStringList({"train", "val", "perf", "system", "other", "zeta"}));
    QCOMPARE(sections[0].keys, QStringList({"train/loss", "train/lr"}));
    QCOMPARE(sections[4].keys, QStringList({"loss_scale"}));
    QCOMPARE(DashboardLayout::sectionOf("val/acc"), QString("val"));
    QCOMPARE(DashboardLayout::sectionOf("/odd"), QString("other"));
  }

  void pinnedComeFirstAndHiddenOrFilteredAreLeftOut() {
    DashboardLayout layout;
    layout.setPinned("val/acc", true);
    layout.setPinned("train/lr", true);
    layout.hidden.insert("val/loss");
    auto sections = layout.arrange(kKeys);
    QCOMPARE(sections[0].name, QString(DashboardLayout::kPinned));
    QCOMPARE(sections[0].keys, QStringList({"val/acc", "train/lr"}));
    QCOMPARE(sections[1].keys, QStringList({"train/loss"}));
    QVERIFY(!names(sections).contains("val"));  // its only other panel is hidden
    sections = layout.arrange(kKeys, "LOSS");
    QCOMPARE(names(sections), QStringList({"train", "other"}));
    QVERIFY(layout.arrange(kKeys, "nothing like it").isEmpty());
    layout.setPinned("val/acc", false);
    QCOMPARE(layout.pinned, QStringList({"train/lr"}));
  }

  void movesStayInTheirSection() {
    DashboardLayout layout;
    layout.move("train/lr", -1, kKeys);
    QCOMPARE(layout.arrange(kKeys)[0].keys, QStringList({"train/lr", "train/loss"}));
    layout.move("train/lr", -1, kKeys);  // already first: stays
    QCOMPARE(layout.arrange(kKeys)[0].keys, QStringList({"train/lr", "train/loss"}));
    layout.move("val/acc", 5, kKeys);  // never past its section's end
    QCOMPARE(layout.arrange(kKeys)[1].keys, QStringList({"val/loss", "val/acc"}));
    QCOMPARE(layout.arrange(kKeys)[0].keys, QStringList({"train/lr", "train/loss"}));
    // A metric the user ordered keeps its place when the shown runs lack it for a while.
    layout.move("train/loss", -1, {"train/loss", "train/lr"});
    QCOMPARE(layout.arrange(kKeys)[1].keys, QStringList({"val/loss", "val/acc"}));
    layout.setPinned("a/1", true);
    layout.setPinned("a/2", true);
    layout.move("a/2", -1, {"a/1", "a/2"});
    QCOMPARE(layout.pinned, QStringList({"a/2", "a/1"}));
  }

  void theLayoutFileRoundTrips() {
    QTemporaryDir dir;
    const QString file = DashboardLayout::fileIn(dir.path());
    QVERIFY(file.endsWith("/dashboard.json"));
    QVERIFY(DashboardLayout::load(file).pinned.isEmpty());  // missing file: empty layout
    DashboardLayout layout;
    layout.setPinned("val/acc", true);
    layout.hidden = {"system/cpu_percent"};
    layout.collapsed = {"perf"};
    layout.move("train/lr", -1, kKeys);
    QVERIFY(layout.save(file));
    const DashboardLayout back = DashboardLayout::load(file);
    QCOMPARE(back.pinned, layout.pinned);
    QCOMPARE(back.hidden, layout.hidden);
    QCOMPARE(back.order, layout.order);
    QCOMPARE(back.collapsed, layout.collapsed);
    QFile broken(file);
    QVERIFY(broken.open(QIODevice::WriteOnly | QIODevice::Truncate));
    broken.write("{not json");
    broken.close();
    QVERIFY(DashboardLayout::load(file).hidden.isEmpty());  // unreadable: empty, never a crash
  }
};

QTEST_APPLESS_MAIN(TestDashboardLayout)
#include "tst_dashboard_layout.moc"
