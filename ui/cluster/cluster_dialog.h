#pragma once
// The cluster profiles editor: the profiles of clusters.json in a list, one in a form, saved and
// removed here, and "Test connection", which runs `reef cluster test` and reports what it found
// (reachable, the host key's fingerprint, the auth method, Slurm's version and partitions, the
// remote reef's version). An unknown host key is shown with its fingerprint and trusted only when
// the user says so.
#include "backend/cluster/cluster_profile.h"

#include <QDialog>

#include <functional>

class QComboBox;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QProcess;
class QPushButton;
class QSpinBox;

namespace reef::ui {

class ClusterDialog : public QDialog {
  Q_OBJECT
 public:
  explicit ClusterDialog(QString reefBinary, QWidget* parent = nullptr);
  ~ClusterDialog() override;

  // Asked when the host key is unknown: true trusts it. Default: a question box with the fingerprint.
  std::function<bool(const QString& where, const QString& fingerprint)> confirmHostKey;

  void select(const QString& name);
  // Saves the form (a new profile or changes); false with the reason shown when it is invalid.
  bool save();
  void remove();
  // Saves, then tests the connection; emits tested() when the engine answers.
  void testConnection();

  QLineEdit* field(const QString& key) const;  // by clusters.json key: "name", "host", "port" ...
  QListWidget* profiles() const { return list_; }
  QPlainTextEdit* report() const { return report_; }

 Q_SIGNALS:
  void tested(bool ok);
  void profilesChanged();

 private:
  cluster::ClusterProfile fromForm() const;
  void toForm(const cluster::ClusterProfile& p);
  void reload(const QString& select);
  void runTest(const QString& name, const QString& acceptFingerprint);

  QString reefBinary_;
  QListWidget* list_;
  std::map<QString, QLineEdit*> fields_;
  QComboBox* scheduler_;
  QPlainTextEdit* environment_;
  QPlainTextEdit* report_;
  QPushButton* testButton_;
  QProcess* process_ = nullptr;
};

}  // namespace reef::ui
