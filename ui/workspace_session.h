#pragma once
// An open workspace in the studio: the UI thread's connection to its run index, and a worker
// thread that keeps the index in step with the run directories. Views refresh on changed(),
// which is coalesced to at most ten times a second.
#include <QObject>
#include <QString>
#include <QStringList>
#include <QThread>
#include <QTimer>

#include <memory>

namespace reef::storage {
class WorkspaceIndex;
}

namespace reef::ui {

// Lives in the session's thread with its own database connection.
class SyncWorker : public QObject {
  Q_OBJECT
 public:
  SyncWorker(QString workspace, int intervalMs);
  ~SyncWorker() override;

 public slots:
  void start();
  void syncNow();

 signals:
  void synced(bool changed, QStringList warnings);
  void failed(QString error);

 private:
  QString workspace_;
  int intervalMs_;
  std::unique_ptr<storage::WorkspaceIndex> index_;
  QTimer* timer_ = nullptr;
};

class WorkspaceSession : public QObject {
  Q_OBJECT
 public:
  // Opens (creating if needed) the workspace folder and its database; throws with the reason.
  explicit WorkspaceSession(const QString& workspace, QObject* parent = nullptr, int syncIntervalMs = 300);
  ~WorkspaceSession() override;

  storage::WorkspaceIndex& index() { return *index_; }
  QString workspace() const { return workspace_; }
  // Asks for a sync now (after a launch, a stop or an edit made outside the index).
  void requestSync();

 signals:
  void changed();
  void warnings(QStringList messages);
  void syncFailed(QString error);

 private:
  QString workspace_;
  std::unique_ptr<storage::WorkspaceIndex> index_;
  QThread thread_;
  SyncWorker* worker_;
  QTimer coalesce_;
};

}  // namespace reef::ui
