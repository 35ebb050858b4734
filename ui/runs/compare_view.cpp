#include "ui/runs/compare_view.h"

#include "storage/run_label.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "ui/workspace_session.h"

#include <QCheckBox>
#include <QHeaderView>
#include <QTableWidget>
#include <QVBoxLayout>

#include <map>

namespace reef::ui {

CompareView::CompareView(WorkspaceSession& session, QWidget* parent) : QWidget(parent), session_(session) {
  auto* layout = new QVBoxLayout(this);
  showAll_ = new QCheckBox(tr("Show every spec key, not only those that differ"), this);
  layout->addWidget(showAll_);
  table_ = new QTableWidget(this);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  layout->addWidget(table_, 1);
  connect(showAll_, &QCheckBox::toggled, this, &CompareView::refresh);
}

void CompareView::setRuns(const QList<qint64>& runs) {
  runs_ = runs;
  refresh();
}

void CompareView::refresh() {
  auto& db = session_.index().db();
  std::vector<int64_t> ids(runs_.begin(), runs_.end());
  std::vector<Json> details;
  QStringList headers;
  for (int64_t id : ids) {
    details.push_back(storage::runDetails(db, id));
    const Json& r = details.back()["run"];
    const std::string name = r["name"].get<std::string>();
    headers << QString::fromStdString(storage::runLabel(name, r["run_id"].get<std::string>()) + "\n" +
                                      r["run_id"].get<std::string>());
  }
  // Rows: spec keys (differing, or all), then each metric's last and best.
  std::vector<std::pair<QString, std::vector<QString>>> rows;
  if (showAll_->isChecked()) {
    std::map<std::string, std::vector<QString>> all;
    for (size_t i = 0; i < details.size(); ++i)
      for (const auto& p : details[i]["params"]) {
        auto& row = all[p["key"].get<std::string>()];
        row.resize(details.size(), "(absent)");
        row[i] = QString::fromStdString(p["text"].is_string() ? p["text"].get<std::string>() : p["text"].dump());
      }
    for (auto& [key, values] : all) {
      values.resize(details.size(), "(absent)");
      rows.emplace_back(QString::fromStdString(key), values);
    }
  } else {
    for (const auto& d : storage::differingParams(db, ids)) {
      std::vector<QString> values;
      for (const auto& v : d.values) values.push_back(v ? QString::fromStdString(*v) : QString("(absent)"));
      rows.emplace_back(QString::fromStdString(d.key), values);
    }
  }
  for (const auto& key : storage::metricKeys(db, ids))
    for (const char* agg : {"last", "best"}) {
      std::vector<QString> values;
      for (const auto& d : details) {
        QString v = "-";
        for (const auto& m : d["metrics"])
          if (m["key"] == key && m[agg].is_number()) v = QString::number(m[agg].get<double>(), 'g', 6);
        values.push_back(v);
      }
      rows.emplace_back(QString::fromStdString(key + "." + agg), values);
    }
  table_->clear();
  table_->setColumnCount(static_cast<int>(ids.size()));
  table_->setRowCount(static_cast<int>(rows.size()));
  table_->setHorizontalHeaderLabels(headers);
  QStringList keys;
  for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
    keys << rows[r].first;
    for (int c = 0; c < static_cast<int>(rows[r].second.size()); ++c)
      table_->setItem(r, c, new QTableWidgetItem(rows[r].second[c]));
  }
  table_->setVerticalHeaderLabels(keys);
  table_->resizeColumnsToContents();
}

}  // namespace reef::ui
