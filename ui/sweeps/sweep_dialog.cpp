#include "ui/sweeps/sweep_dialog.h"

#include "backend/protocol/run_dir.h"
#include "backend/protocol/yaml_json.h"
#include "ui/sweeps/sweep_charts.h"
#include "ui/sweeps/sweep_process.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace reef::ui {

namespace {

enum Column { Vary, Key, Current, From, To, Log, Values, Columns };

QTableWidgetItem* checkItem(bool checked, bool enabled = true) {
  auto* item = new QTableWidgetItem;
  item->setFlags(enabled ? Qt::ItemIsUserCheckable | Qt::ItemIsEnabled : Qt::NoItemFlags);
  item->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
  return item;
}

QTableWidgetItem* fixed(const QString& value) {
  auto* item = new QTableWidgetItem(value);
  item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
  return item;
}

}  // namespace

SweepDialog::SweepDialog(const protocol::Catalog& catalog, Json spec, QString workspace, QString reefBinary,
                         const QStringList& clusters, QWidget* parent)
    : QDialog(parent), spec_(std::move(spec)), workspace_(std::move(workspace)), reef_(std::move(reefBinary)) {
  setWindowTitle(tr("New sweep"));
  parameters_ = sweepableParameters(catalog, spec_);
  auto* layout = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  buildSettings(form);
  target_ = new QComboBox;
  target_->addItem(tr("this machine"), QString());
  for (const auto& c : clusters) target_->addItem(tr("cluster %1").arg(c), c);
  form->addRow(tr("Run on"), target_);
  layout->addLayout(form);
  auto* split = new QSplitter(Qt::Vertical);
  table_ = new QTableWidget;
  buildTable();
  preview_ = new QPlainTextEdit;
  preview_->setReadOnly(true);
  preview_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  preview_->setPlaceholderText(
      tr("Tick the keys to vary, then Preview: the engine checks every range and prints the plan."));
  split->addWidget(table_);
  split->addWidget(preview_);
  layout->addWidget(split, 1);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
  auto* previewButton = buttons->addButton(tr("Preview"), QDialogButtonBox::ActionRole);
  start_ = buttons->addButton(tr("Start sweep"), QDialogButtonBox::AcceptRole);
  connect(previewButton, &QPushButton::clicked, this, &SweepDialog::preview);
  connect(start_, &QPushButton::clicked, this, [this] {
    if (start()) accept();
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(buttons);
  resize(980, 720);
}

void SweepDialog::buildSettings(QFormLayout* form) {
  const QString label = QString::fromStdString(spec_.value("/exp/name"_json_pointer, ""));
  name_ = new QLineEdit(label.isEmpty() ? QString("sweep") : label + "-sweep");
  method_ = new QComboBox;
  method_->addItems({"tpe", "random", "quasirandom", "grid"});
  metric_ = new QComboBox;
  metric_->setEditable(true);
  const QString monitor = QString::fromStdString(spec_.value("/exp/monitor"_json_pointer, "val/loss"));
  QStringList metrics{monitor};
  for (const QString m : {"val/loss", "val/acc"})
    if (!metrics.contains(m)) metrics << m;
  metric_->addItems(metrics);
  goal_ = new QComboBox;
  goal_->addItems({"minimize", "maximize"});
  goal_->setCurrentText(spec_.value("/exp/monitor_mode"_json_pointer, "min") == "max" ? "maximize" : "minimize");
  runCap_ = new QSpinBox;
  runCap_->setRange(1, 100000);
  runCap_->setValue(20);
  concurrent_ = new QSpinBox;
  concurrent_->setRange(1, 1024);
  concurrent_->setValue(2);
  early_ = new QComboBox;
  early_->addItems({"asha", "median", "none"});
  minSteps_ = new QSpinBox;
  minSteps_->setRange(1, 100000000);
  minSteps_->setValue(100);
  eta_ = new QDoubleSpinBox;
  eta_->setRange(2, 10);
  eta_->setValue(3);
  form->addRow(tr("Name"), name_);
  form->addRow(tr("Method"), method_);
  form->addRow(tr("Metric"), metric_);
  form->addRow(tr("Goal"), goal_);
  form->addRow(tr("Trials"), runCap_);
  form->addRow(tr("At once"), concurrent_);
  form->addRow(tr("Early stopping"), early_);
  form->addRow(tr("First decision at step"), minSteps_);
  form->addRow(tr("ASHA eta"), eta_);
}

void SweepDialog::buildTable() {
  table_->setColumnCount(Columns);
  table_->setHorizontalHeaderLabels({tr("vary"), tr("key"), tr("now"), tr("from"), tr("to"), tr("log"), tr("values")});
  table_->setRowCount(static_cast<int>(parameters_.size()));
  for (int row = 0; row < static_cast<int>(parameters_.size()); ++row) {
    const auto& d = parameters_[static_cast<size_t>(row)];
    const bool range = d.values.empty();
    table_->setItem(row, Vary, checkItem(false));
    table_->setItem(row, Key, fixed(QString::fromStdString(d.key)));
    table_->item(row, Key)->setToolTip(QString::fromStdString(d.param->description + " (" + d.param->allowed() + ")"));
    table_->setItem(row, Current, fixed(valueText(d.current)));
    table_->setItem(row, From, range ? new QTableWidgetItem(QString::number(d.min, 'g', 6)) : fixed(QString()));
    table_->setItem(row, To, range ? new QTableWidgetItem(QString::number(d.max, 'g', 6)) : fixed(QString()));
    table_->setItem(row, Log, checkItem(d.log, range));
    QStringList values;
    for (const auto& v : d.values) values << valueText(v);
    table_->setItem(row, Values, new QTableWidgetItem(values.join(", ")));
    table_->item(row, Values)->setToolTip(tr("Values to try, separated by commas (instead of a range)"));
  }
  table_->horizontalHeader()->setSectionResizeMode(Key, QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->hide();
}

std::vector<SweepDraftParameter> SweepDialog::parametersFromTable() const {
  std::vector<SweepDraftParameter> out = parameters_;
  for (int row = 0; row < table_->rowCount(); ++row) {
    auto& d = out[static_cast<size_t>(row)];
    d.vary = table_->item(row, Vary)->checkState() == Qt::Checked;
    d.min = table_->item(row, From)->text().toDouble();
    d.max = table_->item(row, To)->text().toDouble();
    d.log = table_->item(row, Log)->checkState() == Qt::Checked;
    d.values.clear();
    for (const QString& v : table_->item(row, Values)->text().split(',', Qt::SkipEmptyParts))
      d.values.push_back(protocol::parseYamlScalar(v.trimmed().toStdString()));
  }
  return out;
}

Json SweepDialog::document() const {
  SweepDraftSettings s;
  s.name = name_->text().toStdString();
  s.method = method_->currentText().toStdString();
  s.metric = metric_->currentText().toStdString();
  s.goal = goal_->currentText().toStdString();
  s.runCap = runCap_->value();
  s.maxConcurrent = concurrent_->value();
  s.earlyStop = early_->currentText().toStdString();
  s.minSteps = minSteps_->value();
  s.eta = eta_->value();
  return sweepDocument(spec_, parametersFromTable(), s);
}

QString SweepDialog::writeFile() {
  const QString folder = workspace_ + "/sweeps/drafts";
  QDir().mkpath(folder);
  const QString path = folder + "/" + QString::fromStdString(protocol::RunDir::newRunId()) + ".yaml";
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly) || file.write(QByteArray::fromStdString(protocol::toYaml(document()))) < 0) {
    preview_->setPlainText(tr("Cannot write %1: %2").arg(path, file.errorString()));
    return {};
  }
  return path;
}

bool SweepDialog::preview() {
  const QString file = writeFile();
  if (file.isEmpty()) return false;
  bool ok = false;
  preview_->setPlainText(previewSweep(reef_, file, workspace_, ok));
  QFile::remove(file);
  return ok;
}

bool SweepDialog::start() {
  if (!preview()) return false;  // the preview pane says why
  const QString file = writeFile();
  QStringList args{file};
  if (!target_->currentData().toString().isEmpty()) args << "--target" << target_->currentData().toString();
  try {
    startSweepProcess(reef_, args, workspace_, launchLog(workspace_));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("New sweep"), QString::fromStdString(e.what()));
    return false;
  }
  emit started();
  return true;
}

}  // namespace reef::ui
