// The designer's form is generated from the real engine's catalog (`reef catalog --json`):
// editor kinds, ranges, choices and tooltips; sentinel values shown as their meaning and advanced
// keys folded; invalid values are marked with the engine's message; form and YAML stay in sync
// both ways; the help pane explains the focused field; the changes against the loaded example
// are listed.
#include "backend/protocol/yaml_json.h"
#include "ui/designer/designer_widget.h"
#include "ui/designer/spec_form.h"
#include "ui/engine_client.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTextBrowser>
#include <QTreeWidget>
#include <QWheelEvent>
#include <QtTest>

using namespace reef;
using namespace reef::ui;

class TestSpecForm : public QObject {
  Q_OBJECT
  std::optional<protocol::Catalog> catalog_;

 private slots:
  void initTestCase() { catalog_ = loadCatalog(REEF_BINARY); }

  void editorsFollowTheSchema() {
    SpecForm form(*catalog_);
    auto* epochs = qobject_cast<QSpinBox*>(form.editor("trainer.max_epochs"));
    QVERIFY(epochs);
    QCOMPARE(epochs->minimum(), 0);
    QCOMPARE(epochs->maximum(), 1000000);
    auto* optimizer = qobject_cast<QComboBox*>(form.editor("optim.name"));
    QVERIFY(optimizer);
    QCOMPARE(optimizer->count(), 3);
    QCOMPARE(optimizer->currentText(), QString("adamw"));
    QVERIFY(qobject_cast<QCheckBox*>(form.editor("trainer.test_at_end")));
    QVERIFY(qobject_cast<QLineEdit*>(form.editor("optim.lr")));
    QVERIFY(form.editor("model.width"));  // the default model's own keys
    QVERIFY(form.editor("optim.lr")->toolTip().contains("Peak learning rate"));
    QVERIFY(form.editor("data.dataset"));

    // Another architecture brings its own keys.
    Json spec = form.spec();
    spec["model"]["arch"] = "vit";
    form.setSpec(spec);
    QVERIFY(form.editor("model.patch_size"));
    QVERIFY(!form.editor("model.width"));
  }

  // Scrolling the form over a spin box or list must not change it; once clicked into, the wheel
  // steps it as usual.
  void wheelChangesOnlyAFocusedEditor() {
    SpecForm form(*catalog_);
    form.show();
    QApplication::setActiveWindow(&form);
    QVERIFY(QTest::qWaitForWindowActive(&form));
    auto* epochs = qobject_cast<QSpinBox*>(form.editor("trainer.max_epochs"));
    auto* optimizer = qobject_cast<QComboBox*>(form.editor("optim.name"));
    const int before = epochs->value();
    auto wheel = [](QWidget* w) {
      const QPointF at(w->width() / 2.0, w->height() / 2.0);
      QWheelEvent up(at, w->mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase,
                     false);
      QApplication::sendEvent(w, &up);
    };
    wheel(epochs);
    wheel(optimizer);
    QCOMPARE(epochs->value(), before);
    QCOMPARE(optimizer->currentText(), QString("adamw"));
    epochs->setFocus();
    QTRY_VERIFY(epochs->hasFocus());
    wheel(epochs);
    QCOMPARE(epochs->value(), before + 1);
  }

  // trainer.init_from names a run: its menu offers the workspace's runs of the spec's collection
  // (another collection's weights cannot fit), sets the key, and clears it again.
  void initFromOffersTheRunsOfTheSpecsCollection() {
    SpecForm form(*catalog_);
    Json spec = form.spec();
    spec["model"] = {{"collection", "nlp"}, {"arch", "encoder"}};
    form.setSpec(spec);
    auto* edit = qobject_cast<QLineEdit*>(form.editor("trainer.init_from"));
    QVERIFY(edit);
    QCOMPARE(edit->actions().size(), 1);  // the picker beside the text
    form.pickRun("trainer.init_from");
    QVERIFY(form.runMenu());
    QCOMPARE(form.runMenu()->actions().size(), 1);
    QCOMPARE(form.runMenu()->actions()[0]->text(), QString("No nlp runs in this workspace yet"));
    QVERIFY(!form.runMenu()->actions()[0]->isEnabled());

    form.setRunSource([] {
      return std::vector<RunChoice>{{"/w/runs/a", "fortunes-kjv-mlm  ·  mlm  ·  completed", "nlp"},
                                    {"/w/runs/b", "mnist-cnn  ·  cnn  ·  completed", "vision"},
                                    {"/w/runs/c", "fortunes-punctuation  ·  punctuation  ·  failed", "nlp"}};
    });
    QSignalSpy edited(&form, &SpecForm::edited);
    form.pickRun("trainer.init_from");
    const auto offered = form.runMenu()->actions();
    QCOMPARE(offered.size(), 2);
    QCOMPARE(offered[0]->text(), QString("fortunes-kjv-mlm  ·  mlm  ·  completed"));
    QCOMPARE(offered[1]->text(), QString("fortunes-punctuation  ·  punctuation  ·  failed"));
    offered[0]->trigger();
    QCOMPARE(edit->text(), QString("/w/runs/a"));
    QCOMPARE(form.spec()["trainer"]["init_from"].get<std::string>(), std::string("/w/runs/a"));
    QCOMPARE(edited.count(), 1);

    form.pickRun("trainer.init_from");
    const auto again = form.runMenu()->actions();
    QCOMPARE(again.back()->text(), QString("None: start from nothing"));
    again.back()->trigger();
    QVERIFY(form.spec()["trainer"]["init_from"].get<std::string>().empty());
  }

  // A centred kernel's box steps from odd to odd and refuses an even width; 0 (none) stays.
  void oddKernelsStayOdd() {
    SpecForm form(*catalog_);
    form.setSpec({{"model", {{"collection", "nlp"}, {"arch", "punctuation"}, {"context_kernel", 0}}}});
    auto* kernel = qobject_cast<QSpinBox*>(form.editor("model.context_kernel"));
    QVERIFY(kernel);
    QCOMPARE(kernel->text(), QString("none"));
    kernel->stepBy(1);
    QCOMPARE(kernel->value(), 1);
    kernel->stepBy(2);
    QCOMPARE(kernel->value(), 5);
    kernel->stepBy(-3);
    QCOMPARE(kernel->value(), 0);  // 3, 1, then none
    kernel->setFocus();
    kernel->selectAll();
    QTest::keyClicks(kernel, "8");
    QCOMPARE(kernel->value(), 0);  // 8 is not taken...
    QTest::keyClick(kernel, Qt::Key_Enter);
    QCOMPARE(kernel->value(), 9);  // ...and becomes the odd width above it
    QCOMPARE(form.spec()["model"]["context_kernel"].get<int>(), 9);
  }

  void sentinelsReadAsWhatTheyMeanAndAdvancedKeysFold() {
    SpecForm form(*catalog_);
    auto* threads = qobject_cast<QSpinBox*>(form.editor("trainer.threads"));
    QVERIFY(threads);
    QCOMPARE(threads->value(), 0);
    QCOMPARE(threads->text(), QString("automatic: every core"));
    auto* maxSteps = qobject_cast<QLineEdit*>(form.editor("trainer.max_steps"));
    QVERIFY(maxSteps);
    QVERIFY(maxSteps->text().isEmpty());  // -1, shown as its meaning
    QCOMPARE(maxSteps->placeholderText(), QString("unset: max_epochs decides"));
    QCOMPARE(form.spec()["trainer"]["max_steps"].get<int>(), -1);
    QVERIFY(form.editor("trainer.max_steps")->toolTip().contains("-1 means unset: max_epochs decides"));
    maxSteps->setText("500");
    QCOMPARE(form.spec()["trainer"]["max_steps"].get<int>(), 500);

    QVERIFY(form.rowShown("trainer.max_epochs"));
    QVERIFY(!form.rowShown("trainer.strategy") && !form.rowShown("optim.beta2"));
    form.advancedToggle()->setChecked(true);
    QVERIFY(form.rowShown("trainer.strategy") && form.rowShown("optim.beta2"));
    form.advancedToggle()->setChecked(false);
    Json spec = form.spec();
    spec["trainer"]["strategy"] = "fsdp";  // changed: it stays in sight
    form.setSpec(spec);
    QVERIFY(form.rowShown("trainer.strategy") && !form.rowShown("optim.beta2"));
  }

  void invalidValuesAreMarkedWithTheEnginesMessage() {
    DesignerWidget designer(*catalog_, REEF_BINARY);
    designer.setWorkspace(QDir::tempPath());
    designer.loadSpecFile(REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml");
    QVERIFY(designer.isValid());
    auto* launch = designer.findChild<QPushButton*>("launch");
    QVERIFY(launch->isEnabled());
    QString yaml = designer.yamlText();
    yaml.replace("lr: 0.002", "lr: -1");
    designer.setYamlText(yaml);
    QVERIFY(!designer.isValid());
    QVERIFY(!launch->isEnabled());
    QVERIFY(designer.form()->issueText("optim.lr").contains("greater than 0"));
    QVERIFY(!designer.form()->editor("optim.lr")->styleSheet().isEmpty());
    QVERIFY(designer.form()->editor("optim.name")->styleSheet().isEmpty());
    yaml.replace("lr: -1", "lr: 0.01");
    designer.setYamlText(yaml);
    QVERIFY(designer.isValid());
    QVERIFY(designer.form()->editor("optim.lr")->styleSheet().isEmpty());
  }

  void formAndYamlStayInSync() {
    DesignerWidget designer(*catalog_, REEF_BINARY);
    designer.loadSpecFile(REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml");
    auto* epochs = qobject_cast<QSpinBox*>(designer.form()->editor("trainer.max_epochs"));
    epochs->setValue(7);  // form -> YAML
    Json fromYaml = protocol::parseYaml(designer.yamlText().toStdString(), "t");
    QCOMPARE(fromYaml["trainer"]["max_epochs"].get<int>(), 7);
    QString yaml = designer.yamlText();
    yaml.replace("name: adamw", "name: sgd");  // YAML -> form
    designer.setYamlText(yaml);
    QCOMPARE(qobject_cast<QComboBox*>(designer.form()->editor("optim.name"))->currentText(), QString("sgd"));
    QCOMPARE(designer.currentSpec()["optim"]["name"].get<std::string>(), std::string("sgd"));
  }

  void helpPaneAndChangesAgainstTheExample() {
    DesignerWidget designer(*catalog_, REEF_BINARY);
    designer.show();
    QVERIFY(QTest::qWaitForWindowExposed(&designer));
    designer.loadSpecFile(REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml");
    QCOMPARE(designer.changes()->topLevelItemCount(), 0);  // as loaded: nothing changed
    QCOMPARE(designer.changes()->headerItem()->text(1), QString("mnist_cnn.yaml"));

    QWidget* lr = designer.form()->editor("optim.lr");
    lr->setFocus();
    QTRY_VERIFY(designer.help()->toPlainText().startsWith("optim.lr"));
    QVERIFY(designer.help()->toPlainText().contains("default"));

    qobject_cast<QSpinBox*>(designer.form()->editor("trainer.max_epochs"))->setValue(7);
    QString yaml = designer.yamlText();
    yaml.replace("name: adamw", "name: sgd");
    designer.setYamlText(yaml);
    QCOMPARE(designer.changes()->topLevelItemCount(), 2);
    QCOMPARE(designer.changes()->topLevelItem(0)->text(0), QString("optim.name"));
    QCOMPARE(designer.changes()->topLevelItem(0)->text(1), QString("\"adamw\""));
    QCOMPARE(designer.changes()->topLevelItem(0)->text(2), QString("\"sgd\""));
    QCOMPARE(designer.changes()->topLevelItem(1)->text(0), QString("trainer.max_epochs"));
    QCOMPARE(designer.changes()->topLevelItem(1)->text(2), QString("7"));
  }
};

QTEST_MAIN(TestSpecForm)
#include "tst_spec_form.moc"
