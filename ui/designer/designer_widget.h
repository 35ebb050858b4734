#pragma once
// The experiment designer: the generated form beside the spec's YAML, kept in sync both ways and
// validated by the engine's own rules (protocol::resolveSpec against `reef catalog`), starting
// from an example spec, saved to a file, and launched on this machine or on a cluster profile.
#include "backend/protocol/catalog.h"
#include "backend/protocol/json.h"

#include <QString>
#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTextBrowser;
class QTreeWidget;

namespace reef::cluster {
class Backend;
}

namespace reef::ui {

class SpecForm;

class DesignerWidget : public QWidget {
  Q_OBJECT
 public:
  DesignerWidget(protocol::Catalog catalog, QString reefBinary, QWidget* parent = nullptr);

  void setWorkspace(const QString& workspace);
  // Loads a spec (an example, a saved file, or a run's spec to clone and edit).
  void loadSpec(const Json& spec, const QString& origin);
  void loadSpecFile(const QString& path);
  Json currentSpec() const;
  QString yamlText() const;
  void setYamlText(const QString& text);  // as if typed: the form follows after validation
  bool isValid() const { return valid_; }
  SpecForm* form() const { return form_; }
  // The help pane (the focused field's description) and the changes against the loaded spec.
  QTextBrowser* help() const { return help_; }
  QTreeWidget* changes() const { return changes_; }

 public slots:
  // The launch targets: this machine, then these cluster profiles.
  void setClusters(const QStringList& names);
  QComboBox* target() const { return target_; }
  // Starts the spec as a new run on the chosen target; emits launched() with its run directory.
  // A cluster run is staged and submitted here, then followed by a `reef runs follow` process.
  void launch();
  void save();
  // Opens the sweep dialog on this spec (ranges, preview, start); emits sweepStarted() when a
  // sweep was started.
  void designSweep();

 signals:
  void launched(QString runDir);
  void sweepStarted();
  void failed(QString message);

 private:
  void formEdited();
  void yamlEdited();
  void validate(const Json& raw);
  void showChanges();

  protocol::Catalog catalog_;
  QString reefBinary_;
  QString workspace_;
  SpecForm* form_;
  QPlainTextEdit* yaml_;
  QTextBrowser* help_;
  QTreeWidget* changes_;
  QTabWidget* sideTabs_;
  Json baseline_;         // the spec as loaded (through the form, so with its defaults)
  QString baselineName_;  // where it came from
  QComboBox* examples_;
  QLabel* status_;
  QPushButton* launch_;
  QPushButton* sweep_;
  QComboBox* target_;
  QTimer yamlDebounce_;
  bool syncing_ = false;
  bool valid_ = false;
};

}  // namespace reef::ui
