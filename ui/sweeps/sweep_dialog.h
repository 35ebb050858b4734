#pragma once
// New sweep from the designer's spec: tick the keys to vary, give each a range (with log scale)
// or the values to try, choose the method, the metric, the early stopping, the number of trials
// and how many run at once; Preview asks the engine for the plan (or every problem, by key);
// Start writes the sweep file to <workspace>/sweeps/drafts/ and starts `reef sweep` on this
// machine or a cluster profile.
#include "backend/protocol/catalog.h"
#include "ui/sweeps/sweep_draft.h"

#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace reef::ui {

class SweepDialog : public QDialog {
  Q_OBJECT
 public:
  SweepDialog(const protocol::Catalog& catalog, Json spec, QString workspace, QString reefBinary,
              const QStringList& clusters, QWidget* parent = nullptr);

  // The sweep file as the dialog stands.
  Json document() const;
  // Writes it under <workspace>/sweeps/drafts/ and returns the path ("" when it cannot).
  QString writeFile();
  // Runs the engine's preview of the current sweep into the preview pane; returns whether it can run.
  bool preview();
  // Starts it; returns whether `reef sweep` was started.
  bool start();

  QTableWidget* parameters() const { return table_; }
  QComboBox* method() const { return method_; }
  QComboBox* metric() const { return metric_; }
  QSpinBox* runCap() const { return runCap_; }
  QPlainTextEdit* previewText() const { return preview_; }
  QPushButton* startButton() const { return start_; }

 Q_SIGNALS:
  void started();

 private:
  void buildTable();
  void buildSettings(QFormLayout* form);
  std::vector<SweepDraftParameter> parametersFromTable() const;

  Json spec_;
  QString workspace_, reef_;
  std::vector<SweepDraftParameter> parameters_;
  QLineEdit* name_;
  QComboBox *method_, *metric_, *goal_, *early_, *target_;
  QSpinBox *runCap_, *concurrent_, *minSteps_;
  QDoubleSpinBox* eta_;
  QTableWidget* table_;
  QPlainTextEdit* preview_;
  QPushButton* start_;
};

}  // namespace reef::ui
