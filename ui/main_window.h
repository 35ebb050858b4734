#pragma once
// reef-studio's window: the runs of the open workspace on the left; curves, the designer,
// compare, logs, run details and deployment as tabs. Layout, recent workspaces and view settings persist in
// QSettings.
#include "backend/protocol/catalog.h"

#include <QList>
#include <QMainWindow>
#include <QString>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>

class QAction;
class QKeySequence;
class QMenu;
class QStackedWidget;
class QTabWidget;

namespace reef::ui {

class CompareView;
class CurveDashboard;
class DeployView;
class DesignerWidget;
class LogView;
class RunDetails;
class RunsView;
class SweepView;
class WelcomePage;
class WorkspaceSession;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // `catalog` is empty when the engine could not be asked (the designer then says why).
  MainWindow(std::optional<protocol::Catalog> catalog, QString catalogError, QString reefBinary);
  ~MainWindow() override;

  // Opens (creating if needed) a workspace; returns false after showing why it could not.
  bool openWorkspace(const QString& path);

  WorkspaceSession* session() const { return session_.get(); }
  DesignerWidget* designer() const { return designer_; }
  RunsView* runsView() const { return runs_; }
  CurveDashboard* curves() const { return curves_; }
  CompareView* compare() const { return compare_; }
  LogView* logs() const { return logs_; }
  RunDetails* details() const { return details_; }
  DeployView* deploy() const { return deploy_; }
  SweepView* sweeps() const { return sweeps_; }
  QTabWidget* tabs() const { return tabs_; }
  // The welcome page or the tabs, whichever is shown.
  QStackedWidget* pages() const { return pages_; }
  WelcomePage* welcome() const { return welcome_; }

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void chooseWorkspace(bool create);
  void rememberWorkspace(const QString& path);
  void rebuildRecentMenu();
  void selectionChanged(const QList<qint64>& runs);
  // Loads a spec (a run's, a sweep's best trial's) into the designer and shows it.
  void cloneIntoDesigner(const QString& specJson, const QString& origin);
  void sessionChanged();
  void refreshShownTab();
  QWidget* buildPages();
  void buildFileMenu();
  void buildRunMenu();
  void buildViewMenu();
  void buildHelpMenu();
  QAction* workspaceAction(QMenu* menu, const QString& text, const QKeySequence& keys, std::function<void()> slot);
  void showTab(QWidget* tab);
  void showAbout();
  // The cluster profiles editor; the designer's targets follow its changes.
  void editClusters();
  void refreshClusterTargets();

  std::optional<protocol::Catalog> catalog_;
  QString catalogError_;
  QString reefBinary_;
  std::unique_ptr<WorkspaceSession> session_;
  QStackedWidget* pages_ = nullptr;
  WelcomePage* welcome_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  DesignerWidget* designer_ = nullptr;
  RunsView* runs_ = nullptr;
  CurveDashboard* curves_ = nullptr;
  CompareView* compare_ = nullptr;
  LogView* logs_ = nullptr;
  RunDetails* details_ = nullptr;
  DeployView* deploy_ = nullptr;
  SweepView* sweeps_ = nullptr;
  QMenu* recent_ = nullptr;
  QList<QAction*> workspaceActions_;
  QTimer followers_;  // keeps unfinished cluster runs followed
};

}  // namespace reef::ui
