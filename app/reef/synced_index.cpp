#include "app/reef/synced_index.h"

#include <cstdio>

namespace reef::app {

storage::WorkspaceIndex openSyncedIndex(const std::filesystem::path& workspace) {
  if (!std::filesystem::is_directory(workspace))
    throw std::runtime_error("workspace '" + workspace.string() +
                             "' does not exist (set --workspace or $REEF_WORKSPACE)");
  storage::WorkspaceIndex index(workspace);
  const storage::SyncReport report = index.sync();
  for (const auto& w : report.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  return index;
}

}  // namespace reef::app
