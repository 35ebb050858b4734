#include "ui/runs/run_details.h"

#include "backend/protocol/json.h"
#include "backend/protocol/yaml_json.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "ui/audio/speech_view.h"
#include "ui/engine_client.h"
#include "ui/runs/retrieval_view.h"
#include "ui/runs/run_overview.h"
#include "ui/workspace_session.h"

#include <qcustomplot.h>
#include <QFile>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace reef::ui {

namespace {

QString display(const Json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  if (v.is_number_float()) return QString::number(v.get<double>(), 'g', 6);
  return QString::fromStdString(v.dump());
}

void fill(QTableWidget* table, const Json& rows, const QStringList& columns) {
  table->clear();
  table->setColumnCount(static_cast<int>(columns.size()));
  table->setHorizontalHeaderLabels(columns);
  table->setRowCount(static_cast<int>(rows.size()));
  for (int r = 0; r < static_cast<int>(rows.size()); ++r)
    for (int c = 0; c < columns.size(); ++c)
      table->setItem(r, c, new QTableWidgetItem(display(rows[r].value(columns[c].toStdString(), Json()))));
  table->resizeColumnsToContents();
}

}  // namespace

RunDetails::RunDetails(WorkspaceSession& session, const protocol::Catalog* catalog, QString reefBinary, QWidget* parent)
    : QWidget(parent), session_(session), catalog_(catalog) {
  auto* layout = new QVBoxLayout(this);
  title_ = new QLabel(tr("Select a run"), this);
  title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  title_->setWordWrap(true);  // a long error (a cluster failure names ranks and hosts) must not widen the window
  layout->addWidget(title_);
  tabs_ = new QTabWidget(this);
  const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  overview_ = new RunOverview(session, tabs_);
  tabs_->addTab(overview_, tr("Overview"));
  connect(overview_, &RunOverview::annotated, this, [this] {
    refresh();
    emit annotated();
  });
  spec_ = new QPlainTextEdit(tabs_);
  spec_->setReadOnly(true);
  spec_->setFont(fixed);
  events_ = new QPlainTextEdit(tabs_);
  events_->setReadOnly(true);
  events_->setFont(fixed);
  events_->setLineWrapMode(QPlainTextEdit::NoWrap);
  checkpoints_ = new QTableWidget(tabs_);
  artifacts_ = new QTableWidget(tabs_);
  confusion_ = new QCustomPlot(tabs_);
  tabs_->addTab(spec_, tr("Spec"));
  tabs_->addTab(events_, tr("Events"));
  tabs_->addTab(checkpoints_, tr("Checkpoints"));
  tabs_->addTab(artifacts_, tr("Artifacts"));
  tabs_->addTab(confusion_, tr("Confusion matrix"));
  predictions_ = new QListWidget(tabs_);
  predictions_->setViewMode(QListView::IconMode);
  predictions_->setIconSize(QSize(84, 84));
  predictions_->setGridSize(QSize(150, 130));
  predictions_->setResizeMode(QListView::Adjust);
  predictions_->setMovement(QListView::Static);
  predictions_->setWordWrap(true);
  tabs_->addTab(predictions_, tr("Predictions"));
  textPredictions_ = new QTableWidget(0, 4, tabs_);
  textPredictions_->setHorizontalHeaderLabels({tr("confidence"), tr("truth"), tr("predicted"), tr("text")});
  textPredictions_->horizontalHeader()->setStretchLastSection(true);
  textPredictions_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  textPredictions_->setWordWrap(true);
  tabs_->addTab(textPredictions_, tr("Text predictions"));
  restored_ = new QTextBrowser(tabs_);
  tabs_->addTab(restored_, tr("Restored text"));
  retrieval_ = new RetrievalView(std::move(reefBinary), tabs_);
  tabs_->addTab(retrieval_, tr("Retrieval"));
  speech_ = new SpeechView(tabs_);
  tabs_->addTab(speech_, tr("Speech"));
  layout->addWidget(tabs_, 1);
}

void RunDetails::setRun(qint64 run) {
  run_ = run;
  refresh();
}

void RunDetails::refresh() {
  if (run_ == 0) return;
  Json d;
  try {
    d = storage::runDetails(session_.index().db(), run_);
  } catch (const std::exception& e) {
    title_->setText(QString::fromStdString(e.what()));
    return;
  }
  const Json& r = d["run"];
  const QString path = QString::fromStdString(r["path"].get<std::string>());
  title_->setText(
      QString("<b>%1</b> %2 &nbsp; [%3] &nbsp; %4")
          .arg(display(r["run_id"]), display(r["name"]).toHtmlEscaped(), display(r["status"]), path.toHtmlEscaped()) +
      (r["error"].get<std::string>().empty()
           ? QString()
           : "<br><span style='color:#c22'>" + display(r["error"]).toHtmlEscaped() + "</span>"));
  spec_->setPlainText(r["spec"].is_object() ? QString::fromStdString(protocol::toYaml(r["spec"]))
                                            : tr("(no spec yet)"));
  overview_->display(run_, d);
  fill(checkpoints_, d["checkpoints"], {"step", "path", "monitor", "value", "removed"});
  fill(artifacts_, d["artifacts"], {"kind", "path"});

  QFile events(path + "/events.jsonl");
  if (events.open(QIODevice::ReadOnly)) {
    const qint64 tail = 64 * 1024;  // the last lines are what a person looks for
    if (events.size() > tail) events.seek(events.size() - tail);
    QString text = QString::fromUtf8(events.readAll());
    if (events.size() > tail) text = text.mid(text.indexOf('\n') + 1);
    events_->setPlainText(text);
  }
  showSampleViews(r, d);
}

std::map<std::string, QString> RunDetails::viewFiles(const Json& run, const Json& artifacts) const {
  std::map<std::string, QString> files;
  const protocol::ModelCapabilities* capabilities = capabilitiesOf(catalog_, run["spec"]);
  if (!capabilities) return files;
  const QString path = QString::fromStdString(run["path"].get<std::string>());
  for (const auto& a : artifacts)  // in the order written: the latest of a kind wins
    for (const auto& shown : capabilities->artifacts)
      if (a["kind"] == shown.kind)
        files[shown.view] = path + "/" + QString::fromStdString(a["path"].get<std::string>());
  for (const auto& view : capabilities->views) files[view] = path;  // they need a checkpoint, not an artifact
  return files;
}

// Only the sample views this run has.
void RunDetails::showSampleViews(const Json& run, const Json& d) {
  std::map<std::string, QString> files = viewFiles(run, d["artifacts"]);
  const auto file = [&](const char* view) { return files.count(view) ? files[view] : QString(); };
  const QString path = QString::fromStdString(run["path"].get<std::string>());
  showConfusionMatrix(file(protocol::views::kConfusionMatrix));
  showPredictions(path, file(protocol::views::kImagePredictions));
  showTextPredictions(file(protocol::views::kTextPredictions));
  showRestoredText(file(protocol::views::kRestoredText));
  tabs_->setTabVisible(tabs_->indexOf(predictions_), files.count(protocol::views::kImagePredictions) > 0);
  tabs_->setTabVisible(tabs_->indexOf(textPredictions_), files.count(protocol::views::kTextPredictions) > 0);
  tabs_->setTabVisible(tabs_->indexOf(restored_), files.count(protocol::views::kRestoredText) > 0);
  speech_->setArtifacts(file(protocol::views::kTranscriptions), file(protocol::views::kSynthesizedSpeech));
  tabs_->setTabVisible(tabs_->indexOf(speech_), files.count(protocol::views::kTranscriptions) > 0 ||
                                                    files.count(protocol::views::kSynthesizedSpeech) > 0);
  retrieval_->setRun(path);
  tabs_->setTabVisible(tabs_->indexOf(retrieval_),
                       files.count(protocol::views::kRetrieval) > 0 && !d["checkpoints"].empty());
}

namespace {

Json readJson(const QString& path) {
  QFile file(path);
  if (path.isEmpty() || !file.open(QIODevice::ReadOnly)) return {};
  const QByteArray bytes = file.readAll();
  return Json::parse(bytes.begin(), bytes.end(), nullptr, false);
}

}  // namespace

void RunDetails::showTextPredictions(const QString& path) {
  textPredictions_->setRowCount(0);
  const Json rows = readJson(path);
  if (!rows.is_array()) return;
  // The artifact lists the wrong predictions first, the most confident on top.
  for (const auto& r : rows) {
    const int row = textPredictions_->rowCount();
    textPredictions_->insertRow(row);
    const bool correct = r.value("correct", false);
    const QStringList cells{
        QString::number(r.value("confidence", 0.0), 'f', 3), QString::fromStdString(r.value("truth", "")),
        QString::fromStdString(r.value("predicted", "")), QString::fromStdString(r.value("text", ""))};
    for (int c = 0; c < cells.size(); ++c) {
      auto* item = new QTableWidgetItem(cells[c]);
      item->setForeground(correct ? QColor("#2a7a2a") : QColor("#c22"));
      textPredictions_->setItem(row, c, item);
    }
  }
  textPredictions_->resizeColumnsToContents();
}

void RunDetails::showRestoredText(const QString& path) {
  restored_->clear();
  const Json samples = readJson(path);
  if (!samples.is_array()) return;
  // Each word as restored: a wrong capital in red, a wrong or missed mark in red as
  // "predicted/original".
  QString html = "<p>" +
                 tr("Restored by the model; <span style='color:#c22'>red</span>: differs from the text "
                    "(the original after the slash).") +
                 "</p>";
  for (const auto& sample : samples) {
    html += "<p>";
    for (const auto& w : sample["words"]) {
      QString word = QString::fromStdString(w.value("text", "")).toHtmlEscaped();
      const bool capital = w.value("capital", false), truthCapital = w.value("truth_capital", false);
      if (capital && !word.isEmpty()) word[0] = word[0].toUpper();
      const QString mark = QString::fromStdString(w.value("mark", "")),
                    truth = QString::fromStdString(w.value("truth_mark", ""));
      if (capital != truthCapital) word = "<span style='color:#c22'>" + word + "</span>";
      html += word;
      if (mark != truth)
        html += "<span style='color:#c22'>" + (mark.isEmpty() ? QString("&#8203;") : mark.toHtmlEscaped()) + "/" +
                (truth.isEmpty() ? QString("&empty;") : truth.toHtmlEscaped()) + "</span>";
      else
        html += mark.toHtmlEscaped();
      html += " ";
    }
    html += "</p>";
  }
  restored_->setHtml(html);
}

void RunDetails::showPredictions(const QString& runPath, const QString& indexPath) {
  predictions_->clear();
  QFile file(indexPath);
  if (indexPath.isEmpty() || !file.open(QIODevice::ReadOnly)) return;
  const QByteArray bytes = file.readAll();
  const Json index = Json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (!index.is_array()) return;
  // The artifact lists the wrong predictions first.
  for (const auto& e : index) {
    const QImage image(runPath + "/artifacts/" + QString::fromStdString(e.value("file", "")));
    const bool correct = e.value("correct", false);
    auto* item = new QListWidgetItem(
        QIcon(QPixmap::fromImage(image.scaled(84, 84, Qt::KeepAspectRatio, Qt::FastTransformation))),
        tr("%1 → %2\n(%3)")
            .arg(QString::fromStdString(e.value("truth", "")), QString::fromStdString(e.value("predicted", "")))
            .arg(e.value("confidence", 0.0), 0, 'f', 2));
    item->setForeground(correct ? QColor("#2a7a2a") : QColor("#c22"));
    item->setToolTip(correct ? tr("correct") : tr("wrong"));
    predictions_->addItem(item);
  }
}

void RunDetails::showConfusionMatrix(const QString& path) {
  confusion_->clearPlottables();
  confusion_->plotLayout()->clear();
  auto* rect = new QCPAxisRect(confusion_);
  confusion_->plotLayout()->addElement(0, 0, rect);
  QFile file(path);
  if (path.isEmpty() || !file.open(QIODevice::ReadOnly)) {
    confusion_->replot();
    return;
  }
  const QByteArray bytes = file.readAll();
  const Json m = Json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (m.is_discarded() || !m.contains("matrix")) return;
  const auto& matrix = m["matrix"];
  const int n = static_cast<int>(matrix.size());
  auto* map = new QCPColorMap(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
  map->data()->setSize(n, n);
  map->data()->setRange(QCPRange(0, n - 1), QCPRange(0, n - 1));
  for (int t = 0; t < n; ++t) {
    double rowTotal = 0;
    for (const auto& v : matrix[t]) rowTotal += v.get<double>();
    for (int p = 0; p < n; ++p)  // row-normalised, so rare classes show as clearly as common ones
      map->data()->setCell(p, n - 1 - t, rowTotal > 0 ? matrix[t][p].get<double>() / rowTotal : 0);
  }
  map->setGradient(QCPColorGradient::gpThermal);
  map->setInterpolate(false);
  auto labels = QSharedPointer<QCPAxisTickerText>::create();
  auto rowLabels = QSharedPointer<QCPAxisTickerText>::create();
  for (int i = 0; i < n; ++i) {
    const QString name = QString::fromStdString(m["classes"][i].get<std::string>());
    labels->addTick(i, name);
    rowLabels->addTick(n - 1 - i, name);
  }
  rect->axis(QCPAxis::atBottom)->setTicker(labels);
  rect->axis(QCPAxis::atBottom)->setLabel(tr("predicted"));
  rect->axis(QCPAxis::atLeft)->setTicker(rowLabels);
  rect->axis(QCPAxis::atLeft)->setLabel(tr("true"));
  auto* scale = new QCPColorScale(confusion_);
  confusion_->plotLayout()->addElement(0, 1, scale);
  map->setColorScale(scale);
  scale->setDataRange(QCPRange(0, 1));
  scale->setLabel(tr("share of the true class"));
  rect->axis(QCPAxis::atBottom)->setRange(-0.5, n - 0.5);
  rect->axis(QCPAxis::atLeft)->setRange(-0.5, n - 0.5);
  confusion_->replot();
}

}  // namespace reef::ui
