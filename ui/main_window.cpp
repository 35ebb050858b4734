#include "ui/main_window.h"

#include "storage/sqlite.h"
#include "storage/workspace_index.h"
#include "ui/cluster/cluster_dialog.h"
#include "ui/cluster/cluster_followers.h"
#include "ui/deploy/deploy_view.h"
#include "ui/designer/designer_widget.h"
#include "ui/designer/run_choices.h"
#include "ui/designer/spec_form.h"
#include "ui/engine_client.h"
#include "ui/plots/curve_dashboard.h"
#include "ui/runs/compare_view.h"
#include "ui/runs/log_view.h"
#include "ui/runs/run_details.h"
#include "ui/runs/runs_model.h"
#include "ui/runs/runs_view.h"
#include "ui/sweeps/sweep_view.h"
#include "ui/welcome/welcome_page.h"
#include "ui/workspace_session.h"

#include <qcustomplot.h>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QGuiApplication>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>

namespace reef::ui {

MainWindow::MainWindow(std::optional<protocol::Catalog> catalog, QString catalogError, QString reefBinary)
    : catalog_(std::move(catalog)), catalogError_(std::move(catalogError)), reefBinary_(std::move(reefBinary)) {
  setWindowTitle("Reef Studio");
  buildFileMenu();
  buildRunMenu();
  buildViewMenu();
  buildHelpMenu();
  for (QAction* a : workspaceActions_) a->setEnabled(false);
  followers_.setInterval(15000);
  connect(&followers_, &QTimer::timeout, this, [this] {
    if (session_) followUnfinishedClusterRuns(reefBinary_, session_->workspace());
  });
  statusBar()->showMessage(tr("Open or create a workspace (File menu)"));
  // Fits a 1366x768 screen; a saved geometry overrides it.
  const QSize screen = QGuiApplication::primaryScreen() ? QGuiApplication::primaryScreen()->availableSize() : QSize();
  resize(screen.isValid() ? QSize(std::min(1400, screen.width()), std::min(880, screen.height())) : QSize(1400, 880));
  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
}

MainWindow::~MainWindow() {
  // Views hold references into the session: they go first.
  delete takeCentralWidget();
  for (auto* dock : findChildren<QDockWidget*>()) delete dock;
}

bool MainWindow::openWorkspace(const QString& path) {
  std::unique_ptr<WorkspaceSession> session;
  try {
    session = std::make_unique<WorkspaceSession>(path);
  } catch (const std::exception& e) {
    QMessageBox::critical(this, tr("Open workspace"),
                          tr("Cannot open %1:\n%2").arg(path, QString::fromStdString(e.what())));
    return false;
  }
  delete takeCentralWidget();
  for (auto* dock : findChildren<QDockWidget*>()) delete dock;
  session_ = std::move(session);

  runs_ = new RunsView(*session_, reefBinary_);
  auto* dock = new QDockWidget(tr("Runs"), this);
  dock->setObjectName("runsDock");
  dock->setWidget(runs_);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
  addDockWidget(Qt::LeftDockWidgetArea, dock);
  // Wide enough for status, name, model, progress and three metrics; a saved layout overrides it.
  resizeDocks({dock}, {std::max(460, width() * 42 / 100)}, Qt::Horizontal);

  tabs_ = new QTabWidget(this);
  curves_ = new CurveDashboard(*session_);
  tabs_->addTab(curves_, tr("Curves"));
  if (catalog_) {
    designer_ = new DesignerWidget(*catalog_, reefBinary_);
    designer_->setWorkspace(session_->workspace());
    designer_->form()->setRunSource([this] { return runChoices(session_->index()); });
    refreshClusterTargets();
    tabs_->addTab(designer_, tr("Designer"));
    connect(designer_, &DesignerWidget::launched, this, [this](const QString& runDir) {
      // Index the new run now, so it is in the table before the engine has written anything.
      session_->index().syncRun(runDir.toStdString());
      runs_->refresh();
      const auto id = session_->index().resolveRun(runDir.toStdString());
      runs_->table()->clearSelection();
      runs_->selectRun(id);
      pages_->setCurrentWidget(tabs_);
      tabs_->setCurrentWidget(curves_);
      session_->requestSync();
    });
  } else {
    designer_ = nullptr;
    auto* why =
        new QLabel(tr("The designer needs the engine's catalog, which could not be read:\n%1").arg(catalogError_));
    why->setWordWrap(true);
    tabs_->addTab(why, tr("Designer"));
  }
  compare_ = new CompareView(*session_);
  tabs_->addTab(compare_, tr("Compare"));
  logs_ = new LogView(*session_);
  tabs_->addTab(logs_, tr("Logs"));
  details_ = new RunDetails(*session_, catalog_ ? &*catalog_ : nullptr, reefBinary_);
  tabs_->addTab(details_, tr("Details"));
  deploy_ = new DeployView(*session_, catalog_ ? &*catalog_ : nullptr, reefBinary_);
  tabs_->addTab(deploy_, tr("Deploy"));
  tabs_->addTab(deploy_->playground(), tr("Playground"));
  sweeps_ = new SweepView(session_->workspace(), catalog_ ? &*catalog_ : nullptr, reefBinary_);
  tabs_->addTab(sweeps_, tr("Sweeps"));
  setCentralWidget(buildPages());

  connect(runs_, &RunsView::selectionChanged, this, &MainWindow::selectionChanged);
  connect(tabs_, &QTabWidget::currentChanged, this, &MainWindow::refreshShownTab);
  connect(details_, &RunDetails::annotated, runs_, &RunsView::refresh);
  connect(runs_, &RunsView::cloneRequested, this, &MainWindow::cloneIntoDesigner);
  connect(sweeps_, &SweepView::cloneRequested, this, &MainWindow::cloneIntoDesigner);
  if (designer_)
    connect(designer_, &DesignerWidget::sweepStarted, this, [this] {
      tabs_->setCurrentWidget(sweeps_);
      QTimer::singleShot(1500, sweeps_, [this] { sweeps_->showSweep(QString()); });  // once its folder exists
    });
  connect(session_.get(), &WorkspaceSession::changed, this, &MainWindow::sessionChanged);
  connect(session_.get(), &WorkspaceSession::syncFailed, this,
          [this](const QString& e) { statusBar()->showMessage(tr("Index update failed: %1").arg(e)); });
  connect(session_.get(), &WorkspaceSession::warnings, this,
          [this](const QStringList& w) { statusBar()->showMessage(w.back(), 10000); });

  QSettings settings;
  restoreState(settings.value("window/state").toByteArray());
  rememberWorkspace(session_->workspace());
  // Cluster runs left unfollowed (the studio was closed, a link dropped) are picked up again.
  followUnfinishedClusterRuns(reefBinary_, session_->workspace());
  followers_.start();
  setWindowTitle(tr("Reef Studio — %1").arg(session_->workspace()));
  for (QAction* a : workspaceActions_) a->setEnabled(true);
  statusBar()->showMessage(tr("Workspace %1").arg(session_->workspace()));
  return true;
}

void MainWindow::cloneIntoDesigner(const QString& specJson, const QString& origin) {
  if (!designer_) return;
  designer_->loadSpec(Json::parse(specJson.toStdString(), nullptr, false), tr("a copy of %1").arg(origin));
  pages_->setCurrentWidget(tabs_);
  tabs_->setCurrentWidget(designer_);
}

void MainWindow::selectionChanged(const QList<qint64>& runs) {
  if (!runs.isEmpty()) pages_->setCurrentWidget(tabs_);
  curves_->setRuns(runs);
  compare_->setRuns(runs);
  logs_->setRun(runs.isEmpty() ? 0 : runs.front());
  details_->setRun(runs.isEmpty() ? 0 : runs.front());
  deploy_->setRun(runs.isEmpty() ? 0 : runs.front());
}

void MainWindow::sessionChanged() {
  runs_->refresh();
  curves_->refresh();
  refreshShownTab();
}

// Hidden tabs skip the index's updates; the one brought forward catches up.
void MainWindow::refreshShownTab() {
  if (tabs_->currentWidget() == logs_) logs_->refresh();
  if (tabs_->currentWidget() == details_) details_->refresh();
  if (tabs_->currentWidget() == compare_) compare_->refresh();
}

// The welcome page and the tabs. An empty workspace (no run folders, none indexed) opens on the
// welcome page; a card loads its example into the designer.
QWidget* MainWindow::buildPages() {
  pages_ = new QStackedWidget(this);
  welcome_ = new WelcomePage(firstRuns(exampleSpecs()), designer_ ? QString() : catalogError_, pages_);
  pages_->addWidget(welcome_);
  pages_->addWidget(tabs_);
  connect(welcome_, &WelcomePage::skip, this, [this] { pages_->setCurrentWidget(tabs_); });
  connect(welcome_, &WelcomePage::openExample, this, [this](const QString& path) {
    if (!designer_) return;
    designer_->loadSpecFile(path);
    pages_->setCurrentWidget(tabs_);
    tabs_->setCurrentWidget(designer_);
  });
  const QDir runs(session_->workspace() + "/runs");
  const bool empty = runs_->model()->rowCount() == 0 && runs.entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty();
  pages_->setCurrentWidget(empty ? static_cast<QWidget*>(welcome_) : tabs_);
  return pages_;
}

void MainWindow::buildFileMenu() {
  auto* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&New workspace..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N), this,
                  [this] { chooseWorkspace(true); });
  file->addAction(tr("&Open workspace..."), QKeySequence::Open, this, [this] { chooseWorkspace(false); });
  recent_ = file->addMenu(tr("&Recent workspaces"));
  file->addSeparator();
  file->addAction(tr("&Clusters..."), this, &MainWindow::editClusters);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
  rebuildRecentMenu();
}

// Actions that need an open workspace are disabled until one is.
QAction* MainWindow::workspaceAction(QMenu* menu, const QString& text, const QKeySequence& keys,
                                     std::function<void()> slot) {
  QAction* action = menu->addAction(text, this, std::move(slot));
  action->setShortcut(keys);
  workspaceActions_ << action;
  return action;
}

void MainWindow::buildRunMenu() {
  auto* run = menuBar()->addMenu(tr("&Run"));
  workspaceAction(run, tr("&New run"), QKeySequence::New, [this] { showTab(designer_); });
  workspaceAction(run, tr("&Launch"), QKeySequence(Qt::CTRL | Qt::Key_Return), [this] {
    if (!designer_) return;
    showTab(designer_);
    designer_->launch();
  });
  run->addSeparator();
  workspaceAction(run, tr("&Stop selected"), QKeySequence(Qt::CTRL | Qt::Key_Period),
                  [this] { runs_->stopSelected(); });
  workspaceAction(run, tr("&Resume selected"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R),
                  [this] { runs_->resumeSelected(); });
  workspaceAction(run, tr("&Clone and edit"), QKeySequence(Qt::CTRL | Qt::Key_D), [this] { runs_->cloneSelected(); });
  workspaceAction(run, tr("&Delete selected..."), QKeySequence(), [this] { runs_->deleteSelected(); });
}

void MainWindow::buildViewMenu() {
  auto* view = menuBar()->addMenu(tr("&View"));
  const QList<QPair<QString, std::function<QWidget*()>>> tabs = {
      {tr("&Curves"), [this] { return curves_; }},
      {tr("&Designer"), [this] { return designer_; }},
      {tr("C&ompare"), [this] { return compare_; }},
      {tr("&Logs"), [this] { return logs_; }},
      {tr("De&tails"), [this] { return details_; }},
      {tr("De&ploy"), [this] { return deploy_; }},
      {tr("Pla&yground"), [this] { return deploy_ ? deploy_->playground() : nullptr; }}};
  for (int i = 0; i < tabs.size(); ++i) {
    const auto widget = tabs[i].second;
    workspaceAction(view, tabs[i].first, QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)),
                    [this, widget] { showTab(widget()); });
  }
  view->addSeparator();
  workspaceAction(view, tr("&Find runs"), QKeySequence::Find, [this] { runs_->focusFilter(); });
  workspaceAction(view, tr("Find &panels"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F), [this] {
    showTab(curves_);
    curves_->focusSearch();
  });
  workspaceAction(view, tr("Zoom &in"), QKeySequence::ZoomIn, [this] { curves_->zoom(0.5); });
  workspaceAction(view, tr("Zoom &out"), QKeySequence::ZoomOut, [this] { curves_->zoom(2.0); });
  workspaceAction(view, tr("&Reset zoom"), QKeySequence(Qt::CTRL | Qt::Key_0), [this] { curves_->resetView(); });
  workspaceAction(view, tr("Runs &panel"), QKeySequence(Qt::CTRL | Qt::Key_B), [this] {
    for (auto* dock : findChildren<QDockWidget*>()) dock->setVisible(!dock->isVisible());
  });
  workspaceAction(view, tr("&Welcome page"), QKeySequence(), [this] { pages_->setCurrentWidget(welcome_); });
}

void MainWindow::showTab(QWidget* tab) {
  if (!tab || !pages_) return;
  pages_->setCurrentWidget(tabs_);
  tabs_->setCurrentWidget(tab);
}

void MainWindow::buildHelpMenu() {
  auto* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&Getting started"), QKeySequence::HelpContents, this, [this] {
    if (pages_) pages_->setCurrentWidget(welcome_);
  });
  help->addAction(tr("&About Reef Studio"), this, [this] { showAbout(); });
}

void MainWindow::showAbout() {
  QMessageBox::about(this, tr("About Reef Studio"),
                     tr("<h3>Reef Studio %1</h3><p>An experiment studio for deep learning: design, launch, watch, "
                        "compare, export and deploy runs.</p><table>"
                        "<tr><td>engine</td><td>%2</td></tr><tr><td>Qt</td><td>%3</td></tr>"
                        "<tr><td>SQLite</td><td>%4</td></tr><tr><td>QCustomPlot</td><td>%5</td></tr>"
                        "<tr><td>workspace</td><td>%6</td></tr></table>")
                         .arg(QStringLiteral(REEF_STUDIO_VERSION), engineVersion(reefBinary_).toHtmlEscaped(),
                              QString::fromLatin1(qVersion()), QString::fromStdString(storage::sqliteVersion()),
                              QStringLiteral(QCUSTOMPLOT_VERSION_STR),
                              session_ ? session_->workspace().toHtmlEscaped() : tr("none open")));
}

void MainWindow::chooseWorkspace(bool create) {
  const QString path = create ? QFileDialog::getSaveFileName(this, tr("New workspace folder"))
                              : QFileDialog::getExistingDirectory(this, tr("Open workspace"));
  if (!path.isEmpty()) openWorkspace(path);
}

void MainWindow::rememberWorkspace(const QString& path) {
  QSettings settings;
  QStringList recent = settings.value("workspaces/recent").toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > 10) recent.removeLast();
  settings.setValue("workspaces/recent", recent);
  settings.setValue("workspaces/last", path);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  recent_->clear();
  for (const QString& path : QSettings().value("workspaces/recent").toStringList())
    recent_->addAction(path, this, [this, path] { openWorkspace(path); });
  recent_->setEnabled(!recent_->isEmpty());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  // Runs keep training: they are separate processes; reopening catches up on their events.
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  event->accept();
}

void MainWindow::editClusters() {
  ClusterDialog dialog(reefBinary_, this);
  connect(&dialog, &ClusterDialog::profilesChanged, this, &MainWindow::refreshClusterTargets);
  dialog.exec();
}

void MainWindow::refreshClusterTargets() {
  if (!designer_) return;
  QStringList names;
  try {
    for (const auto& p : cluster::ClusterProfiles().all()) names << QString::fromStdString(p.name);
  } catch (const std::exception& e) {
    statusBar()->showMessage(tr("Cluster profiles: %1").arg(QString::fromStdString(e.what())));
  }
  designer_->setClusters(names);
}

}  // namespace reef::ui
