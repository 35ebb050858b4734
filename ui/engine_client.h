#pragma once
// What the studio learns from the engine without linking it: the `reef` binary to launch, its
// catalog (`reef catalog --json`), and the example specs shipped in resources/.
#include "protocol/catalog.h"

#include <QString>
#include <QStringList>

namespace reef::ui {

// $REEF_BINARY, else `reef` beside the studio's executable, else `reef` on PATH.
QString reefBinary();
// Runs `reef catalog --json`; throws with the engine's error output when that fails.
protocol::Catalog loadCatalog(const QString& reef);
// resources/examples/**/*.yaml ($REEF_RESOURCES or the source tree's resources/), sorted.
QStringList exampleSpecs();

}  // namespace reef::ui
