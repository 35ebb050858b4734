#include "ui/workspace_session.h"

#include "storage/workspace_index.h"

#include <QDir>

namespace reef::ui {

SyncWorker::SyncWorker(QString workspace, int intervalMs) : workspace_(std::move(workspace)), intervalMs_(intervalMs) {}

SyncWorker::~SyncWorker() = default;

void SyncWorker::start() {
  try {
    index_ = std::make_unique<storage::WorkspaceIndex>(workspace_.toStdString());
  } catch (const std::exception& e) {
    emit failed(QString::fromStdString(e.what()));
    return;
  }
  timer_ = new QTimer(this);
  connect(timer_, &QTimer::timeout, this, &SyncWorker::syncNow);
  timer_->start(intervalMs_);
  syncNow();
}

void SyncWorker::syncNow() {
  if (!index_) return;
  try {
    const storage::SyncReport r = index_->sync();
    QStringList messages;
    for (const auto& w : r.warnings) messages << QString::fromStdString(w);
    emit synced(r.lines > 0 || r.created > 0 || r.removed > 0, messages);
  } catch (const std::exception& e) {
    emit failed(QString::fromStdString(e.what()));
  }
}

WorkspaceSession::WorkspaceSession(const QString& workspace, QObject* parent, int syncIntervalMs)
    : QObject(parent), workspace_(QDir(workspace).absolutePath()) {
  if (!QDir().mkpath(workspace_ + "/runs"))
    throw std::runtime_error("cannot create the workspace folder '" + workspace_.toStdString() + "'");
  index_ = std::make_unique<storage::WorkspaceIndex>(workspace_.toStdString());
  coalesce_.setSingleShot(true);
  coalesce_.setInterval(100);
  connect(&coalesce_, &QTimer::timeout, this, &WorkspaceSession::changed);

  worker_ = new SyncWorker(workspace_, syncIntervalMs);
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::started, worker_, &SyncWorker::start);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  connect(worker_, &SyncWorker::synced, this, [this](bool changed, const QStringList& messages) {
    if (!messages.isEmpty()) emit warnings(messages);
    if (changed && !coalesce_.isActive()) coalesce_.start();
  });
  connect(worker_, &SyncWorker::failed, this, &WorkspaceSession::syncFailed);
  thread_.start();
}

WorkspaceSession::~WorkspaceSession() {
  thread_.quit();
  thread_.wait();
}

void WorkspaceSession::requestSync() { QMetaObject::invokeMethod(worker_, &SyncWorker::syncNow, Qt::QueuedConnection); }

}  // namespace reef::ui
