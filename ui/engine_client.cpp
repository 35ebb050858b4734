#include "ui/engine_client.h"

#include <QCoreApplication>
#include <QDirIterator>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

#include <stdexcept>

namespace reef::ui {

QString reefBinary() {
  const QString env = qEnvironmentVariable("REEF_BINARY");
  if (!env.isEmpty()) return env;
  const QString beside = QCoreApplication::applicationDirPath() + "/reef";
  if (QFileInfo(beside).isExecutable()) return beside;
  const QString inBuild = QStringLiteral(REEF_BUILD_APP_DIR "/reef");
  if (QFileInfo(inBuild).isExecutable()) return inBuild;
  return QStandardPaths::findExecutable("reef");
}

protocol::Catalog loadCatalog(const QString& reef) {
  if (reef.isEmpty()) throw std::runtime_error("the reef engine was not found: set REEF_BINARY or build reef");
  QProcess p;
  p.start(reef, {"catalog", "--json"});
  if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
    throw std::runtime_error("`" + reef.toStdString() + " catalog --json` failed: " +
                             QString::fromUtf8(p.readAllStandardError()).toStdString() + p.errorString().toStdString());
  const QByteArray out = p.readAllStandardOutput();
  const Json json = Json::parse(out.begin(), out.end(), nullptr, false);
  if (json.is_discarded()) throw std::runtime_error("`reef catalog --json` printed something that is not JSON");
  return protocol::Catalog::fromJson(json);
}

const protocol::ModelCapabilities* capabilitiesOf(const protocol::Catalog* catalog, const Json& spec) {
  if (!catalog || !spec.is_object() || !spec.contains("model") || !spec["model"].is_object()) return nullptr;
  const protocol::ModelInfo* m = catalog->model(spec["model"].value("collection", ""), spec["model"].value("arch", ""));
  return m ? &m->capabilities : nullptr;
}

QString engineVersion(const QString& reef) {
  if (reef.isEmpty()) return QObject::tr("not found");
  QProcess p;
  p.start(reef, {"--version"});
  if (!p.waitForFinished(5000) || p.exitCode() != 0) return QObject::tr("%1 did not answer").arg(reef);
  return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
}

QStringList exampleSpecs() {
  QString root = qEnvironmentVariable("REEF_RESOURCES");
  if (root.isEmpty()) root = QStringLiteral(REEF_RESOURCES_DIR);
  QStringList specs;
  QDirIterator it(root + "/examples", {"*.yaml"}, QDir::Files, QDirIterator::Subdirectories);
  while (it.hasNext()) specs << it.next();
  specs.sort();
  return specs;
}

}  // namespace reef::ui
