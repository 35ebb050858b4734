// The designer's changes list on its own: keys changed, added and removed at any depth, in key
// order; numbers compared by value (1 and 1.0 are the same); lists compared whole.
#include "ui/designer/spec_diff.h"

#include <QtTest>

using namespace reef;
using namespace reef::ui;

class TestSpecDiff : public QObject {
  Q_OBJECT
 private slots:
  void changedAddedAndRemovedKeys() {
    const Json before = Json::parse(
        R"({"optim": {"lr": 0.001, "name": "adamw"}, "trainer": {"max_steps": 100, "devices": [0, 1]},
            "exp": {"name": "a"}})");
    const Json after = Json::parse(
        R"({"optim": {"lr": 0.01, "name": "adamw"}, "trainer": {"max_steps": 100.0, "devices": [0]},
            "data": {"batch_size": 64}})");
    const auto changes = specChanges(before, after);
    QCOMPARE(changes.size(), size_t(4));
    QCOMPARE(changes[0].key, std::string("data.batch_size"));
    QVERIFY(changes[0].before.is_null());
    QCOMPARE(changes[0].after.get<int>(), 64);
    QCOMPARE(changes[1].key, std::string("exp.name"));
    QVERIFY(changes[1].after.is_null());
    QCOMPARE(changes[2].key, std::string("optim.lr"));
    QCOMPARE(changes[2].after.get<double>(), 0.01);
    QCOMPARE(changes[3].key, std::string("trainer.devices"));  // max_steps 100 == 100.0: unchanged
    QVERIFY(specChanges(before, before).empty());
  }
};

QTEST_APPLESS_MAIN(TestSpecDiff)
#include "tst_spec_diff.moc"
