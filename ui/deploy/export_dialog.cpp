#include "ui/deploy/export_dialog.h"

#include "backend/protocol/json.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace reef::ui {

ExportDialog::ExportDialog(QString reefBinary, QString runPath, const QStringList& formats, QWidget* parent)
    : QDialog(parent), reef_(std::move(reefBinary)), run_(std::move(runPath)) {
  setWindowTitle(tr("Export %1").arg(QDir(run_).dirName()));
  auto* layout = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  format_ = new QComboBox(this);
  format_->addItems(formats);
  type_ = new QComboBox(this);
  type_->addItems({"f16", "f32", "q8_0"});
  destination_ = new QLineEdit(this);
  auto* browse = new QPushButton(tr("Browse..."), this);
  auto* where = new QHBoxLayout;
  where->addWidget(destination_, 1);
  where->addWidget(browse);
  form->addRow(tr("Format"), format_);
  form->addRow(tr("GGUF weights"), type_);
  form->addRow(tr("Destination"), where);
  layout->addLayout(form);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1);
  progress_->setValue(0);
  layout->addWidget(progress_);
  output_ = new QPlainTextEdit(this);
  output_->setReadOnly(true);
  output_->setMinimumHeight(140);
  layout->addWidget(output_, 1);
  status_ = new QLabel(tr("Choose a format and a destination."), this);
  status_->setWordWrap(true);
  layout->addWidget(status_);
  auto* buttons = new QHBoxLayout;
  export_ = new QPushButton(tr("Export"), this);
  auto* close = new QPushButton(tr("Close"), this);
  buttons->addStretch();
  buttons->addWidget(export_);
  buttons->addWidget(close);
  layout->addLayout(buttons);

  connect(format_, &QComboBox::currentTextChanged, this, &ExportDialog::formatChanged);
  connect(type_, &QComboBox::currentTextChanged, this, &ExportDialog::formatChanged);
  connect(browse, &QPushButton::clicked, this, &ExportDialog::browse);
  connect(export_, &QPushButton::clicked, this, &ExportDialog::startExport);
  connect(close, &QPushButton::clicked, this, &QDialog::reject);
  connect(&process_, &QProcess::readyReadStandardError, this,
          [this] { output_->appendPlainText(QString::fromUtf8(process_.readAllStandardError()).trimmed()); });
  connect(&process_, &QProcess::finished, this, [this](int code) { exportFinished(code); });
  connect(&process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
    if (e != QProcess::FailedToStart) return;
    status_->setText(tr("Cannot start %1: %2").arg(reef_, process_.errorString()));
    export_->setEnabled(true);
    progress_->setRange(0, 1);
  });
  formatChanged();
  resize(640, 420);
}

void ExportDialog::reject() {
  if (process_.state() != QProcess::NotRunning) {
    status_->setText(tr("The export is still running; close this window when it has finished."));
    return;
  }
  QDialog::reject();
}

void ExportDialog::formatChanged() {
  const QString f = format_->currentText();
  type_->setEnabled(f == "gguf");
  const QString exports = run_ + "/exports/";
  const QString name = QDir(run_).dirName();
  if (f == "bundle")
    destination_->setText(exports + name + ".reef");
  else if (f == "gguf")
    destination_->setText(exports + name + "-" + type_->currentText() + ".gguf");
  else if (f == "hf")
    destination_->setText(exports + "hf");
  else if (f == "onnx")
    destination_->setText(exports + name + ".onnx");
  else
    destination_->setText(exports + "triton");
}

void ExportDialog::browse() {
  const QString f = format_->currentText();
  const QString chosen = (f == "hf" || f == "triton")
                             ? QFileDialog::getExistingDirectory(this, tr("Export into folder"), destination_->text())
                             : QFileDialog::getSaveFileName(this, tr("Export to file"), destination_->text());
  if (!chosen.isEmpty()) destination_->setText(chosen);
}

void ExportDialog::startExport() {
  if (destination_->text().trimmed().isEmpty()) {
    status_->setText(tr("Choose a destination first."));
    return;
  }
  QStringList args{"export", run_, "--format", format_->currentText(), "--out", destination_->text(), "--json"};
  if (format_->currentText() == "gguf") args << "--type" << type_->currentText();
  output_->clear();
  output_->appendPlainText("reef " + args.join(' '));
  status_->setText(tr("Exporting..."));
  verified_ = false;
  export_->setEnabled(false);
  progress_->setRange(0, 0);  // busy: the engine does not report a fraction
  process_.start(reef_, args);
}

void ExportDialog::exportFinished(int code) {
  progress_->setRange(0, 1);
  progress_->setValue(1);
  export_->setEnabled(true);
  const Json result = Json::parse(process_.readAllStandardOutput().toStdString(), nullptr, false);
  if (result.is_discarded()) {
    status_->setText("<span style='color:#c22'>" + tr("Export failed (see the output above).") + "</span>");
    Q_EMIT finishedExport(false);
    return;
  }
  QStringList lines;
  for (const auto& f : result["files"])
    lines << QString("%1  (%2 bytes)")
                 .arg(QString::fromStdString(f["path"].get<std::string>()))
                 .arg(f["bytes"].get<qint64>());
  QStringList checks;
  for (const auto& c : result["checks"])
    checks << QString("%1 %2: %3")
                  .arg(c["passed"].get<bool>() ? QString::fromUtf8("\u2714") : QString::fromUtf8("\u2718"),
                       QString::fromStdString(c["check"].get<std::string>()),
                       QString::fromStdString(c["detail"].get<std::string>()));
  output_->appendPlainText(lines.join('\n'));
  verified_ = code == 0 && result["verified"].get<bool>();
  status_->setText((verified_ ? "<span style='color:#282'>" + tr("Verified") + "</span>: "
                              : "<span style='color:#c22'>" + tr("Not verified") + "</span>: ") +
                   checks.join("; ").toHtmlEscaped());
  Q_EMIT finishedExport(verified_);
}

}  // namespace reef::ui
