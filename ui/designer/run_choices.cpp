#include "ui/designer/run_choices.h"

#include "storage/run_query.h"
#include "storage/workspace_index.h"

namespace reef::ui {

std::vector<RunChoice> runChoices(storage::WorkspaceIndex& index) {
  std::vector<RunChoice> out;
  for (const storage::RunRow& r : storage::listRuns(index.db(), {})) {
    QString label = QString::fromStdString(r.name.empty() ? r.runId : r.name) + "  ·  " +
                    QString::fromStdString(r.arch) + "  ·  " + QString::fromStdString(r.status);
    if (r.lastStep) label += QObject::tr("  ·  step %1").arg(*r.lastStep);
    label += "  ·  " + QString::fromStdString(r.runId);
    out.push_back({QString::fromStdString(r.path), label, QString::fromStdString(r.collection)});
  }
  return out;
}

}  // namespace reef::ui
