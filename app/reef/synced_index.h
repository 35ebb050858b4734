#pragma once
// The workspace's run index brought up to date with its run directories and sweep folders, as
// every command that reads the index first does (`reef runs ...`, `reef sweep list`).
#include "storage/workspace_index.h"

#include <filesystem>

namespace reef::app {

// Throws naming the workspace when it does not exist; prints what could not be read as warnings.
storage::WorkspaceIndex openSyncedIndex(const std::filesystem::path& workspace);

}  // namespace reef::app
