#pragma once
// The studio's Export dialog: the formats the selected run's model supports, a destination, the
// `reef export` process with its progress, and what the export's read-back checks found.
#include <QDialog>
#include <QProcess>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace reef::ui {

class ExportDialog : public QDialog {
  Q_OBJECT
 public:
  // `formats`: what the run's model exports (the catalog's capabilities.export_formats).
  ExportDialog(QString reefBinary, QString runPath, const QStringList& formats, QWidget* parent = nullptr);

  QComboBox* format() const { return format_; }
  QComboBox* type() const { return type_; }
  QLineEdit* destination() const { return destination_; }
  QPushButton* exportButton() const { return export_; }
  QLabel* status() const { return status_; }
  // Whether the last export finished with every check passed.
  bool verified() const { return verified_; }
  // Closing while an export runs would kill it half-way through writing: refused until it ends.
  void reject() override;

 Q_SIGNALS:
  void finishedExport(bool verified);

 private:
  void formatChanged();
  void browse();
  void startExport();
  void exportFinished(int code);

  QString reef_, run_;
  QComboBox* format_;
  QComboBox* type_;
  QLineEdit* destination_;
  QPushButton* export_;
  QProgressBar* progress_;
  QPlainTextEdit* output_;
  QLabel* status_;
  QProcess process_;
  bool verified_ = false;
};

}  // namespace reef::ui
