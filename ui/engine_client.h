#pragma once
// What the studio learns from the engine without linking it: the `reef` binary to launch, its
// catalog (`reef catalog --json`), and the example specs shipped in resources/.
#include "backend/protocol/catalog.h"

#include <QString>
#include <QStringList>

namespace reef::ui {

// $REEF_BINARY, else `reef` beside the studio's executable, else `reef` on PATH.
QString reefBinary();
// Runs `reef catalog --json`; throws with the engine's error output when that fails.
protocol::Catalog loadCatalog(const QString& reef);
// What the model a run's spec names can do (the catalog's capabilities); nullptr when there is no
// catalog, no spec yet, or the engine does not know the model.
const protocol::ModelCapabilities* capabilitiesOf(const protocol::Catalog* catalog, const Json& spec);
// `reef --version`'s line ("reef 0.1.0 (LibTorch 1.13.0)"), or why it could not be read.
QString engineVersion(const QString& reef);
// resources/examples/**/*.yaml ($REEF_RESOURCES or the source tree's resources/), sorted.
QStringList exampleSpecs();

}  // namespace reef::ui
