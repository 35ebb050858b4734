#include "ui/designer/designer_widget.h"

#include "backend/cluster/local_backend.h"
#include "backend/cluster/remote_backend.h"
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"
#include "ui/cluster/cluster_followers.h"
#include "ui/designer/spec_diff.h"
#include "ui/designer/spec_form.h"
#include "ui/engine_client.h"
#include "ui/sweeps/sweep_dialog.h"

#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTextStream>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace reef::ui {

DesignerWidget::DesignerWidget(protocol::Catalog catalog, QString reefBinary, QWidget* parent)
    : QWidget(parent), catalog_(std::move(catalog)), reefBinary_(std::move(reefBinary)) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout();
  examples_ = new QComboBox(this);
  examples_->addItem(tr("Start from an example..."));
  for (const QString& path : exampleSpecs()) examples_->addItem(QFileInfo(path).baseName(), path);
  auto* open = new QPushButton(tr("Open..."), this);
  auto* saveButton = new QPushButton(tr("Save..."), this);
  launch_ = new QPushButton(tr("Launch"), this);
  launch_->setObjectName("launch");
  launch_->setToolTip(tr("Start this spec as a new run on the chosen target"));
  sweep_ = new QPushButton(tr("Sweep..."), this);
  sweep_->setObjectName("sweep");
  sweep_->setToolTip(tr("Search this spec's hyper-parameters: choose ranges, preview, start a sweep"));
  connect(sweep_, &QPushButton::clicked, this, &DesignerWidget::designSweep);
  target_ = new QComboBox(this);
  target_->setObjectName("target");
  target_->setToolTip(tr("Where the run executes: this machine, or a cluster profile (File > Clusters...)"));
  setClusters({});
  bar->addWidget(examples_, 1);
  bar->addWidget(open);
  bar->addWidget(saveButton);
  bar->addWidget(target_);
  bar->addWidget(launch_);
  bar->addWidget(sweep_);
  layout->addLayout(bar);

  auto* split = new QSplitter(Qt::Horizontal, this);
  // Left: the form above a help pane that explains the field being edited.
  auto* left = new QSplitter(Qt::Vertical, split);
  form_ = new SpecForm(catalog_, left);
  auto* scroll = new QScrollArea(left);
  scroll->setWidget(form_);
  scroll->setWidgetResizable(true);
  help_ = new QTextBrowser(left);
  help_->setObjectName("help");
  help_->setPlaceholderText(tr("Click a field to read what it does, what it allows and its default."));
  left->addWidget(scroll);
  left->addWidget(help_);
  left->setStretchFactor(0, 4);
  left->setStretchFactor(1, 1);
  // Right: the spec as YAML, and what it changes against the example or run it came from.
  sideTabs_ = new QTabWidget(split);
  yaml_ = new QPlainTextEdit(sideTabs_);
  yaml_->setObjectName("yaml");
  yaml_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  yaml_->setLineWrapMode(QPlainTextEdit::NoWrap);
  changes_ = new QTreeWidget(sideTabs_);
  changes_->setObjectName("changes");
  changes_->setRootIsDecorated(false);
  changes_->setColumnCount(3);
  sideTabs_->addTab(yaml_, "YAML");
  sideTabs_->addTab(changes_, tr("Changes"));
  split->addWidget(left);
  split->addWidget(sideTabs_);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 1);
  layout->addWidget(split, 1);
  status_ = new QLabel(this);
  status_->setObjectName("status");
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(status_);

  yamlDebounce_.setSingleShot(true);
  yamlDebounce_.setInterval(300);
  connect(&yamlDebounce_, &QTimer::timeout, this, &DesignerWidget::yamlEdited);
  connect(yaml_, &QPlainTextEdit::textChanged, this, [this] {
    if (!syncing_) yamlDebounce_.start();
  });
  connect(form_, &SpecForm::edited, this, &DesignerWidget::formEdited);
  connect(form_, &SpecForm::fieldFocused, this, [this](const QString& key, const QString& text) {
    help_->setHtml("<b>" + key.toHtmlEscaped() + "</b><p>" + text.toHtmlEscaped().replace("\n", "<br>") + "</p>");
  });
  connect(examples_, &QComboBox::activated, this, [this](int index) {
    if (index > 0) loadSpecFile(examples_->itemData(index).toString());
  });
  connect(open, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open spec"), workspace_, tr("Specs (*.yaml *.yml)"));
    if (!path.isEmpty()) loadSpecFile(path);
  });
  connect(saveButton, &QPushButton::clicked, this, &DesignerWidget::save);
  connect(launch_, &QPushButton::clicked, this, &DesignerWidget::launch);
  baseline_ = form_->spec();
  baselineName_ = tr("defaults");
  formEdited();
}

void DesignerWidget::setWorkspace(const QString& workspace) {
  workspace_ = workspace;
  launch_->setEnabled(valid_ && !workspace_.isEmpty());
}

void DesignerWidget::loadSpec(const Json& spec, const QString& origin) {
  syncing_ = true;
  form_->setSpec(spec);
  yaml_->setPlainText(QString::fromStdString(protocol::toYaml(form_->spec())));
  syncing_ = false;
  baseline_ = form_->spec();
  baselineName_ = origin;
  validate(form_->spec());
  status_->setText(tr("Loaded %1. ").arg(origin) + status_->text());
}

void DesignerWidget::loadSpecFile(const QString& path) {
  try {
    loadSpec(protocol::loadSpecFile(path.toStdString()), QFileInfo(path).fileName());
  } catch (const std::exception& e) {
    status_->setText(QString::fromStdString(e.what()));
  }
}

Json DesignerWidget::currentSpec() const { return form_->spec(); }
QString DesignerWidget::yamlText() const { return yaml_->toPlainText(); }

void DesignerWidget::setYamlText(const QString& text) {
  yaml_->setPlainText(text);
  yamlDebounce_.stop();
  yamlEdited();
}

void DesignerWidget::formEdited() {
  if (syncing_) return;
  syncing_ = true;
  const Json spec = form_->spec();
  yaml_->setPlainText(QString::fromStdString(protocol::toYaml(spec)));
  syncing_ = false;
  validate(spec);
}

void DesignerWidget::yamlEdited() {
  Json raw;
  try {
    raw = protocol::parseYaml(yaml_->toPlainText().toStdString(), "spec");
  } catch (const std::exception& e) {
    valid_ = false;
    launch_->setEnabled(false);
    status_->setText("<span style='color:#c22'>" + QString::fromStdString(e.what()).toHtmlEscaped() + "</span>");
    return;
  }
  syncing_ = true;
  form_->setSpec(raw);
  syncing_ = false;
  validate(raw);  // the YAML as typed, so that keys the form cannot show are reported too
}

void DesignerWidget::validate(const Json& raw) {
  try {
    protocol::resolveSpec(raw, catalog_, "spec");
    form_->showIssues({});
    valid_ = true;
    status_->setText(tr("The spec is valid."));
  } catch (const protocol::SpecError& e) {
    form_->showIssues(e.issues());
    valid_ = false;
    QString text = "<span style='color:#c22'>";
    for (const auto& i : e.issues())
      text += QString::fromStdString((i.key.empty() ? "" : i.key + ": ") + i.message).toHtmlEscaped() + "<br>";
    status_->setText(text + "</span>");
  }
  launch_->setEnabled(valid_ && !workspace_.isEmpty());
  showChanges();
}

void DesignerWidget::showChanges() {
  const auto changes = specChanges(baseline_, form_->spec());
  changes_->clear();
  changes_->setHeaderLabels({tr("key"), baselineName_, tr("now")});
  auto text = [](const Json& v) { return v.is_null() ? QString("-") : QString::fromStdString(v.dump()); };
  for (const auto& c : changes)
    changes_->addTopLevelItem(
        new QTreeWidgetItem(QStringList{QString::fromStdString(c.key), text(c.before), text(c.after)}));
  changes_->resizeColumnToContents(0);
  sideTabs_->setTabText(1, changes.empty() ? tr("Changes") : tr("Changes (%1)").arg(changes.size()));
}

void DesignerWidget::save() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Save spec"), workspace_, tr("Specs (*.yaml)"));
  if (path.isEmpty()) return;
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(yaml_->toPlainText().toUtf8()) < 0) {
    QMessageBox::warning(this, tr("Save spec"), tr("Cannot write %1: %2").arg(path, file.errorString()));
    return;
  }
  status_->setText(tr("Saved %1.").arg(path));
}

void DesignerWidget::setClusters(const QStringList& names) {
  const QString current = target_->currentData().toString();
  target_->clear();
  target_->addItem(tr("This machine"), QString());
  for (const QString& n : names) target_->addItem(tr("Cluster: %1").arg(n), n);
  const int keep = target_->findData(current);
  target_->setCurrentIndex(keep >= 0 ? keep : 0);
}

void DesignerWidget::launch() {
  if (!valid_ || workspace_.isEmpty()) return;
  const QString cluster = target_->currentData().toString();
  try {
    const cluster::LaunchRequest request{
        workspace_.toStdString(), yaml_->toPlainText().toStdString(), {}, reefBinary_.toStdString()};
    cluster::LaunchedRun run;
    if (cluster.isEmpty()) {
      run = cluster::LocalBackend().submit(request);
      status_->setText(
          tr("Launched %1 (pid %2).").arg(QString::fromStdString(run.runDir.filename().string())).arg(run.pid));
    } else {
      QApplication::setOverrideCursor(Qt::WaitCursor);  // staging and sbatch take a round trip or two
      struct Restore {
        ~Restore() { QApplication::restoreOverrideCursor(); }
      } restore;
      cluster::RemoteBackend backend(cluster::ClusterProfiles().get(cluster.toStdString()));
      run = backend.submit(request);
      startFollower(reefBinary_, QString::fromStdString(run.runDir.string()));
      status_->setText(tr("Submitted %1 to %2 (job %3).")
                           .arg(QString::fromStdString(run.runDir.filename().string()), cluster)
                           .arg(run.pid));
    }
    emit launched(QString::fromStdString(run.runDir.string()));
  } catch (const std::exception& e) {
    status_->setText("<span style='color:#c22'>" + QString::fromStdString(e.what()).toHtmlEscaped() + "</span>");
    emit failed(QString::fromStdString(e.what()));
  }
}

void DesignerWidget::designSweep() {
  if (!valid_ || workspace_.isEmpty()) return;
  QStringList clusters;
  for (int i = 1; i < target_->count(); ++i) clusters << target_->itemData(i).toString();
  auto* dialog = new SweepDialog(catalog_, form_->spec(), workspace_, reefBinary_, clusters, this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &SweepDialog::started, this, &DesignerWidget::sweepStarted);
  dialog->open();
}

}  // namespace reef::ui
