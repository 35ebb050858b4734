#pragma once
// The retrieval grid of a run whose model embeds images and texts (capability view "retrieval"): a typed query, the
// split to search, and the images the model ranks highest, each with its caption and similarity. The search runs in the
// engine (`reef retrieve --json`), so the studio stays free of LibTorch.
#include <QString>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProcess;
class QPushButton;

namespace reef::ui {

class RetrievalView : public QWidget {
  Q_OBJECT
 public:
  // An empty `reefBinary` is looked up when a search starts (ui::reefBinary()).
  explicit RetrievalView(QString reefBinary = {}, QWidget* parent = nullptr);
  ~RetrievalView() override;
  void setRun(const QString& runPath);
  // Starts a search; a search still running is stopped first.
  void search(const QString& query);

  QLineEdit* query() const { return query_; }
  QComboBox* split() const { return split_; }
  QListWidget* results() const { return results_; }
  QLabel* status() const { return status_; }

 Q_SIGNALS:
  void searchFinished(bool ok);

 private:
  void finish(int exitCode);
  void stop();  // ends a running search, if any

  QString reefBinary_, runPath_;
  QLineEdit* query_;
  QComboBox* split_;
  QPushButton* searchButton_;
  QListWidget* results_;
  QLabel* status_;
  QProcess* process_ = nullptr;
};

}  // namespace reef::ui
