#pragma once
// The runs of a workspace that the designer offers where a spec key names a run
// (trainer.init_from): every run in the index, newest first, with what a person picks one by.
#include "ui/designer/spec_form.h"

#include <vector>

namespace reef::storage {
class WorkspaceIndex;
}

namespace reef::ui {

std::vector<RunChoice> runChoices(storage::WorkspaceIndex& index);

}  // namespace reef::ui
