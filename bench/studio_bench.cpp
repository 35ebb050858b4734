// Benchmark of reef-studio's hot paths: a full redraw of the curve plot with 10 runs of
// 1,000,000 points each (decimation of raw and smoothed series to the plot's width, hand-over to
// QCustomPlot, painting), a full redraw of the Curves dashboard with 24 panels of 10 runs x
// 100,000 points against one of its panels alone, and sorting the runs table over 10,000 runs x
// 20 metrics.
// Runs offscreen: QT_QPA_PLATFORM=offscreen reef-bench-studio
#include "bench/bench_util.h"
#include "storage/metric_store.h"
#include "storage/workspace_index.h"
#include "ui/plots/curve_dashboard.h"
#include "ui/plots/curve_plot.h"
#include "ui/runs/runs_model.h"
#include "ui/workspace_session.h"

#include <qcustomplot.h>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>

using namespace reef;

namespace {

using reef::bench::median;

void addRuns(storage::Database& db, const std::filesystem::path& ws, int runs, int metrics, int points,
             int firstIndex) {
  storage::Transaction tx(db);
  storage::MetricWriter writer(db);
  std::vector<int64_t> keys;
  const char* names[] = {"train/loss", "val/loss", "val/acc", "train/lr", "perf/samples_per_s"};
  for (int k = 0; k < metrics; ++k) keys.push_back(writer.keyId(k < 5 ? names[k] : "custom/m" + std::to_string(k)));
  auto run = db.prepare(
      "INSERT INTO runs(run_id, path, name, status, collection, arch, started, last_step) "
      "VALUES(?,?,?,?,?,?,?,?)");
  std::mt19937 rng(firstIndex + 1);
  std::normal_distribution<double> noise(0, 0.05);
  for (int r = 0; r < runs; ++r) {
    const std::string id = "run-" + std::to_string(firstIndex + r);
    std::filesystem::create_directories(ws / "runs" / id);
    run.bind(1, id).bind(2, (ws / "runs" / id).string()).bind(3, "bench " + std::to_string(r)).bind(4, "completed");
    run.bind(5, "vision").bind(6, "cnn").bind(7, 1.8e9 + r).bind(8, static_cast<int64_t>(points)).run();
    const int64_t runId = db.lastInsertId();
    for (size_t k = 0; k < keys.size(); ++k)
      for (int s = 1; s <= points; ++s)
        writer.append(runId, keys[k],
                      {s, 1.8e9 + s * 0.01, 2.0 / std::sqrt(s) + 0.1 * r + noise(rng) + (s % 99991 == 0 ? 3 : 0)});
    writer.flush();
  }
  tx.commit();
}

// A workspace index with `runs` runs of `metrics` series of `points` points, its time printed.
void storeRuns(const std::filesystem::path& ws, int runs, int metrics, int points) {
  QElapsedTimer setup;
  setup.start();
  storage::WorkspaceIndex index(ws);
  addRuns(index.db(), ws, runs, metrics, points, 0);
  std::printf("(%d runs x %d metrics x %d points stored in %.1f s)\n", runs, metrics, points, setup.elapsed() / 1000.0);
}

QList<qint64> firstRuns(int n) {
  QList<qint64> runs;
  for (qint64 r = 1; r <= n; ++r) runs << r;
  return runs;
}

// Every panel of the dashboard decimated and painted, against one panel alone: the dashboard's
// cost is its panels' sum, with nothing shared that grows with their number.
void dashboardRedraw() {
  QTemporaryDir dir;
  storeRuns(dir.path().toStdString(), 10, 24, 100000);
  ui::WorkspaceSession session(dir.path(), nullptr, 3600 * 1000);
  ui::CurveDashboard dashboard(session);
  dashboard.resize(1600, 1000);
  dashboard.show();
  QElapsedTimer load;
  load.start();
  dashboard.setRuns(firstRuns(10));
  std::printf("(selecting the 10 runs: dashboard of 24 panels loaded in %.0f ms)\n", load.nsecsElapsed() / 1e6);
  QApplication::processEvents();
  int panels = 0;
  for (const auto& section : dashboard.sections()) panels += static_cast<int>(section.keys.size());
  auto timeIt = [](const std::function<void()>& work) {
    std::vector<double> ms;
    for (int i = 0; i < 9; ++i) {
      QElapsedTimer t;
      t.start();
      work();
      ms.push_back(t.nsecsElapsed() / 1e6);
    }
    return median(ms);
  };
  double decimation = 0;
  const double all = timeIt([&] { decimation = dashboard.redrawAll(); });
  ui::CurvePlot* one = dashboard.panel("train/loss");
  const double single = timeIt([&] {
    one->redraw();
    one->plot()->replot(QCustomPlot::rpImmediateRefresh);
  });
  std::printf(
      "dashboard, %d panels x 10 runs x 100,000 points, %d px wide panels: full redraw %.1f ms (decimation %.1f ms)"
      "   (bar: < 100 ms); one panel %.2f ms, ratio %.1f\n",
      panels, one->plot()->axisRect()->width(), all, decimation, single, all / single);
}

}  // namespace

int main(int argc, char** argv) {
  qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? "offscreen" : qgetenv("QT_QPA_PLATFORM"));
  QApplication app(argc, argv);
  QStandardPaths::setTestModeEnabled(true);
  QTemporaryDir dir;
  const std::filesystem::path ws = dir.path().toStdString();
  storeRuns(ws, 10, 1, 1000000);

  {
    ui::WorkspaceSession session(dir.path(), nullptr, 3600 * 1000);
    ui::CurvePlot plot(session);
    plot.resize(1600, 900);
    plot.show();
    QElapsedTimer load;
    load.start();
    plot.setRuns(firstRuns(10));
    plot.setMetric("train/loss");
    plot.setSmoothing(0.6);
    std::printf("(first load of 10 x 1,000,000 points into the plot: %.0f ms)\n", load.nsecsElapsed() / 1e6);
    std::vector<double> full, decimateOnly;
    auto timeRedraws = [&] {  // 15 full redraws: decimation plus painting
      full.clear();
      decimateOnly.clear();
      for (int i = 0; i < 15; ++i) {
        QElapsedTimer t;
        t.start();
        plot.redraw();
        plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
        full.push_back(t.nsecsElapsed() / 1e6);
        decimateOnly.push_back(plot.lastRedrawMs());
      }
    };
    timeRedraws();
    std::printf(
        "curve plot, 10 runs x 1,000,000 points, smoothing on, %d px wide: full redraw %.1f ms "
        "(decimation %.1f ms)   (bar: < 33 ms, 30 fps)\n",
        plot.plot()->axisRect()->width(), median(full), median(decimateOnly));
    // Zoomed in to a tenth of the steps: the same work per pixel.
    plot.plot()->xAxis->setRange(400000, 500000);
    timeRedraws();
    std::printf("curve plot zoomed to 100,000 steps: full redraw %.1f ms\n", median(full));
  }

  dashboardRedraw();

  {
    storage::WorkspaceIndex index(ws);
    index.db().exec("DELETE FROM runs");
    QElapsedTimer t;
    t.start();
    addRuns(index.db(), ws, 10000, 20, 5, 100);
    std::printf("(10,000 runs x 20 metrics stored in %.1f s)\n", t.elapsed() / 1000.0);
    ui::RunsModel model(index);
    model.setMetricColumns({"val/acc.best", "train/loss.last", "val/loss.min"});
    std::vector<double> sorts;
    int column = ui::RunsModel::FirstMetric;
    for (int i = 0; i < 6; ++i) {
      QElapsedTimer s;
      s.start();
      model.sort(column + i % 3, i % 2 ? Qt::AscendingOrder : Qt::DescendingOrder);
      sorts.push_back(s.nsecsElapsed() / 1e6);
    }
    std::printf(
        "runs table, 10,000 runs x 20 metrics, 3 metric columns: sort by a metric column %.0f ms, %d rows   "
        "(bar: < 200 ms)\n",
        median(sorts), model.rowCount());
  }
  return 0;
}
