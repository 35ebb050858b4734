#include "ui/runs/run_overview.h"

#include "backend/cluster/remote_backend.h"
#include "backend/protocol/event_log.h"
#include "backend/protocol/number_format.h"
#include "storage/workspace_index.h"
#include "ui/workspace_session.h"

#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QFile>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>

#include <set>

namespace reef::ui {

namespace {

QString text(const Json& v) {
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  if (v.is_null()) return {};
  if (v.is_array()) {
    QStringList items;
    for (const Json& item : v) items << text(item);
    return items.join(", ");
  }
  return QString::fromStdString(v.dump());
}

QString number(const Json& v) {
  return v.is_number() ? QString::fromStdString(protocol::formatNumber(v.get<double>())) : QString("-");
}

// The first run_started of the run's events (the counts and layout the index does not keep).
Json runStarted(const QString& runPath) {
  QFile file(runPath + "/events.jsonl");
  if (!file.open(QIODevice::ReadOnly)) return Json::object();
  for (int lines = 0; lines < 1000 && !file.atEnd(); ++lines) {
    const std::string line = file.readLine().trimmed().toStdString();
    const auto event = protocol::parseEventLine(line);
    if (event && event->value("t", "") == "run_started") return *event;
  }
  return Json::object();
}

// Seconds from the start to the end, or to the last event while it runs.
std::optional<double> elapsed(const Json& run) {
  if (!run["started"].is_number()) return std::nullopt;
  const Json& end = run["finished"].is_number() ? run["finished"] : run["last_event"];
  if (!end.is_number()) return std::nullopt;
  return end.get<double>() - run["started"].get<double>();
}

// The pace of the session that runs now: time in a queue or between sessions does not count.
std::optional<double> secondsPerStep(const Json& run, const Json& sessions) {
  if (!run["last_step"].is_number() || !run["last_event"].is_number()) return std::nullopt;
  const Json none = Json::object();
  const Json& session = sessions.empty() ? none : sessions.back();
  const double from = session.contains("resumed_from_step") && session["resumed_from_step"].is_number()
                          ? session["resumed_from_step"].get<double>()
                          : 0.0;
  const Json& started = session.contains("started") ? session["started"] : run["started"];
  const double steps = run["last_step"].get<double>() - from;
  if (!started.is_number() || steps <= 0) return std::nullopt;
  return (run["last_event"].get<double>() - started.get<double>()) / steps;
}

QString monitorText(const Json& details) {
  const Json& exp = details["run"]["spec"].is_object() ? details["run"]["spec"]["exp"] : Json();
  const std::string monitor = exp.is_object() ? exp.value("monitor", "") : "";
  if (monitor.empty()) return QObject::tr("none (exp.monitor is not set)");
  for (const Json& m : details["metrics"])
    if (m["key"] == monitor)
      return QObject::tr("%1 (%2): best %3 at step %4, last %5 at step %6")
          .arg(QString::fromStdString(monitor), QString::fromStdString(exp.value("monitor_mode", "min")),
               number(m["best"]), number(m["best_step"]), number(m["last"]), number(m["last_step"]));
  return QObject::tr("%1: not reported yet").arg(QString::fromStdString(monitor));
}

QString modelText(const Json& run, const Json& started) {
  QString model = text(run["collection"]) + "/" + text(run["arch"]);
  if (!started.contains("parameters")) return model;
  const QLocale english(QLocale::English);
  model += QObject::tr(", %1 parameters").arg(english.toString(started.value("parameters", qlonglong(0))));
  const auto trainable = started.value("trainable_parameters", qlonglong(0));
  if (trainable != started.value("parameters", qlonglong(0)))
    model += QObject::tr(" (%1 trainable)").arg(english.toString(trainable));
  return model;
}

QString parallelText(const Json& run, const Json& started) {
  const int world = run["world_size"].is_number() ? run["world_size"].get<int>() : started.value("world_size", 1);
  const QString strategy = QString::fromStdString(started.value("strategy", "single"));
  QString out = world > 1 ? QObject::tr("%1, %2 ranks (%3)")
                                .arg(strategy)
                                .arg(world)
                                .arg(QString::fromStdString(started.value("backend", "")))
                          : QObject::tr("one process");
  if (started.contains("devices")) out += QObject::tr(" on %1").arg(text(started["devices"]));
  if (started.contains("threads"))
    out +=
        (world > 1 ? QObject::tr(", %1 threads each") : QObject::tr(", %1 threads")).arg(started["threads"].get<int>());
  return out;
}

QString checkpointsText(const Json& details) {
  QStringList kept;
  for (const Json& c : details["checkpoints"])
    if (!c["removed"].is_number() || c["removed"].get<int>() == 0) kept << number(c["step"]);
  if (kept.isEmpty()) return QObject::tr("none yet");
  return QObject::tr("%n kept, at step %1", nullptr, kept.size()).arg(kept.join(", "));
}

QString timingText(const Json& run) {
  if (!run["started"].is_number()) return QObject::tr("not started");
  const auto started = QDateTime::fromSecsSinceEpoch(static_cast<qint64>(run["started"].get<double>()));
  const auto seconds = elapsed(run);
  return QObject::tr("%1, %2 %3")
      .arg(started.toString("yyyy-MM-dd hh:mm:ss"),
           seconds ? QString::fromStdString(protocol::formatDuration(*seconds)) : QString("-"),
           run["finished"].is_number() ? QObject::tr("in all") : QObject::tr("so far"));
}

// The command that runs the same spec again where the run ran: here, or on its cluster.
QString reproduceCommand(const QString& path, const QString& workspace) {
  const std::filesystem::path dir = path.toStdString();
  QString command = QString("reef train %1/spec.yaml --workspace %2").arg(path, workspace);
  if (cluster::RemoteRun::isRemote(dir)) {
    try {
      command = QString("reef submit --cluster %1 %2/spec.yaml --workspace %3")
                    .arg(QString::fromStdString(cluster::RemoteRun::read(dir).cluster), path, workspace);
    } catch (const std::exception&) {
    }  // an unreadable cluster.json: the local command is still the spec's
  }
  return command;
}

// Each start and resume of the run, with how it ended: where a node failure or a kill interrupted
// it and from which checkpoint it went on.
QString sessionsText(const Json& sessions) {
  if (sessions.empty()) return QObject::tr("none yet");
  const std::string lastStatus = sessions.back().value("status", "");
  if (sessions.size() == 1 && (lastStatus == "running" || lastStatus == "completed"))
    return QObject::tr("one, not interrupted");
  QStringList lines;
  for (const Json& s : sessions) {
    const QString when =
        s["started"].is_number()
            ? QDateTime::fromSecsSinceEpoch(static_cast<qint64>(s["started"].get<double>())).toString("hh:mm:ss")
            : QString("?");
    QString line = QObject::tr("%1. %2 on %3, %4")
                       .arg(number(s["number"]), when, text(s["host"]).isEmpty() ? "-" : text(s["host"]),
                            s["resumed_from_step"].is_number()
                                ? QObject::tr("from the checkpoint at step %1").arg(number(s["resumed_from_step"]))
                                : QObject::tr("from the start"));
    if (s["finished"].is_number()) {
      line += QObject::tr(": %1 at step %2").arg(text(s["status"]), number(s["step"]));
      if (!text(s["error"]).isEmpty()) line += ": " + text(s["error"]);
    } else if (&s != &sessions.back()) {
      line += QObject::tr(": ended without a word (killed, or its node was lost)");
    }
    lines << line.toHtmlEscaped();
  }
  return lines.join("<br>");
}

}  // namespace

RunOverview::RunOverview(WorkspaceSession& session, QWidget* parent) : QWidget(parent), session_(session) {
  form_ = new QFormLayout(this);
  form_->setLabelAlignment(Qt::AlignRight);
  addRow(tr("Status"));
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1000);
  auto* progressRow = new QHBoxLayout();
  progressRow->addWidget(progress_, 1);
  rows_["ETA"] = new QLabel(this);
  progressRow->addWidget(rows_["ETA"]);
  form_->addRow(tr("Progress"), progressRow);
  for (const QString& row : {tr("Started"), tr("Sessions"), tr("Monitor"), tr("Model"), tr("Parallelism"), tr("Host"),
                             tr("Checkpoints"), tr("Notes")})
    addRow(row);
  reproduce_ = new QLineEdit(this);
  reproduce_->setReadOnly(true);
  auto* copy = new QPushButton(tr("Copy"), this);
  connect(copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(reproduce_->text()); });
  auto* reproduceRow = new QHBoxLayout();
  reproduceRow->addWidget(reproduce_, 1);
  reproduceRow->addWidget(copy);
  form_->addRow(tr("Reproduce"), reproduceRow);
  tags_ = new QLineEdit(this);
  tags_->setPlaceholderText(tr("tags, separated by commas"));
  connect(tags_, &QLineEdit::editingFinished, this, &RunOverview::saveTags);
  form_->addRow(tr("Tags"), tags_);
  newNote_ = new QLineEdit(this);
  newNote_->setPlaceholderText(tr("Add a note and press Enter"));
  connect(newNote_, &QLineEdit::returnPressed, this, &RunOverview::saveNote);
  form_->addRow(QString(), newNote_);
}

QLabel* RunOverview::addRow(const QString& name) {
  auto* label = new QLabel(this);
  label->setWordWrap(true);
  label->setTextInteractionFlags(Qt::TextSelectableByMouse);
  form_->addRow(name, label);
  rows_[name] = label;
  return label;
}

QString RunOverview::field(const QString& row) const {
  if (row == "Reproduce") return reproduce_->text();
  if (row == "Tags") return tags_->text();
  return rows_.contains(row) ? rows_[row]->text() : QString();
}

void RunOverview::display(qint64 run, const Json& details) {
  run_ = run;
  const Json& r = details["run"];
  const QString path = text(r["path"]);
  const Json started = runStarted(path);
  const std::string status = r["status"].get<std::string>();
  QString statusText = QString::fromStdString(status);
  if (!r["error"].get<std::string>().empty()) statusText += ": " + text(r["error"]);
  rows_["Status"]->setText(statusText);
  const bool running = status == "running" && r["total_steps"].is_number() && r["total_steps"].get<double>() > 0;
  const double last = r["last_step"].is_number() ? r["last_step"].get<double>() : 0;
  progress_->setValue(running ? static_cast<int>(1000 * last / r["total_steps"].get<double>())
                              : (status == "completed" ? 1000 : 0));
  progress_->setFormat(QString("%1 / %2").arg(last).arg(number(r["total_steps"])));
  const auto pace = secondsPerStep(r, details["sessions"]);
  rows_["ETA"]->setText(running && pace ? tr("ETA %1").arg(QString::fromStdString(protocol::formatDuration(
                                              (r["total_steps"].get<double>() - last) * *pace)))
                                        : QString());
  rows_["Started"]->setText(timingText(r));
  rows_["Sessions"]->setText(sessionsText(details["sessions"]));
  rows_["Monitor"]->setText(monitorText(details));
  rows_["Model"]->setText(modelText(r, started));
  rows_["Parallelism"]->setText(parallelText(r, started));
  rows_["Host"]->setText(text(r["host"]).isEmpty() ? tr("-") : text(r["host"]));
  rows_["Checkpoints"]->setText(checkpointsText(details));
  reproduce_->setText(reproduceCommand(path, session_.workspace()));
  reproduce_->setCursorPosition(0);
  shownTags_.clear();
  for (const Json& t : details["tags"]) shownTags_ << text(t);
  if (!tags_->hasFocus()) tags_->setText(shownTags_.join(", "));
  QStringList notes;
  for (const Json& n : details["notes"]) notes << "• " + text(n["text"]).toHtmlEscaped();
  rows_["Notes"]->setText(notes.isEmpty() ? tr("none") : notes.join("<br>"));
}

void RunOverview::saveTags() {
  if (run_ == 0) return;
  std::set<std::string> wanted, shown;
  for (const QString& t : tags_->text().split(',', Qt::SkipEmptyParts))
    if (!t.trimmed().isEmpty()) wanted.insert(t.trimmed().toStdString());
  for (const QString& t : shownTags_) shown.insert(t.toStdString());
  std::vector<std::string> added, removed;
  for (const auto& t : wanted)
    if (!shown.count(t)) added.push_back(t);
  for (const auto& t : shown)
    if (!wanted.count(t)) removed.push_back(t);
  if (added.empty() && removed.empty()) return;
  if (!added.empty()) session_.index().addTags(run_, added);
  if (!removed.empty()) session_.index().removeTags(run_, removed);
  shownTags_.clear();
  for (const auto& t : wanted) shownTags_ << QString::fromStdString(t);
  emit annotated();
}

void RunOverview::saveNote() {
  const QString note = newNote_->text().trimmed();
  if (run_ == 0 || note.isEmpty()) return;
  session_.index().addNote(run_, note.toStdString());
  newNote_->clear();
  emit annotated();
}

}  // namespace reef::ui
