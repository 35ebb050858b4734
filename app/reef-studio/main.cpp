#include "ui/engine_client.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("Reef");
  QApplication::setApplicationName("reef-studio");
  QApplication::setApplicationVersion(REEF_VERSION_STRING);
  QCommandLineParser parser;
  parser.setApplicationDescription("Reef Studio: design, launch, watch and compare deep learning runs");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("workspace", "Workspace folder to open (default: the last one)");
  parser.process(app);

  const QString reef = reef::ui::reefBinary();
  std::optional<reef::protocol::Catalog> catalog;
  QString catalogError;
  try {
    catalog = reef::ui::loadCatalog(reef);
  } catch (const std::exception& e) {
    catalogError = QString::fromStdString(e.what());
  }
  reef::ui::MainWindow window(catalog, catalogError, reef);
  const QString workspace = parser.positionalArguments().value(0, QSettings().value("workspaces/last").toString());
  if (!workspace.isEmpty()) window.openWorkspace(workspace);
  window.show();
  return app.exec();
}
