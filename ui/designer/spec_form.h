#pragma once
// A form generated from the engine's catalog: one group per spec section, one editor per key
// (spin box with the declared range, combo box for choices, check box, line edit), tooltips from
// the descriptions. A key whose minimum has a meaning ("automatic", "off") shows those words for
// it; advanced keys are folded away unless shown, changed or wrong. A key that names a run
// (format "run", trainer.init_from) offers the workspace's runs of the spec's collection in a menu
// beside its line edit. Values in and out are spec JSON; validation issues are shown on the editors.
#include "backend/protocol/catalog.h"
#include "backend/protocol/json.h"
#include "backend/protocol/spec.h"

#include <QWidget>

#include <functional>
#include <map>
#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QMenu;
class QVBoxLayout;

namespace reef::ui {

// A run the form can offer where a key names one.
struct RunChoice {
  QString path;        // what the key is set to
  QString label;       // name, model, status, as a person picks it
  QString collection;  // offered where the spec's collection is this one
};

class SpecForm : public QWidget {
  Q_OBJECT
 public:
  explicit SpecForm(protocol::Catalog catalog, QWidget* parent = nullptr);

  // Shows `spec` (a raw or resolved spec); keys it lacks show their defaults. Emits nothing.
  void setSpec(const Json& spec);
  // Every key's current value, as a spec.
  Json spec() const;
  // Marks the editors of the keys named in `issues` (red, message as tooltip); clears the rest.
  void showIssues(const std::vector<protocol::SpecIssue>& issues);

  // The editor of "section.key" (for tests and focus), or nullptr.
  QWidget* editor(const std::string& dottedKey) const;
  QString issueText(const std::string& dottedKey) const;
  // Whether "section.key"'s row is shown (advanced rows are folded).
  bool rowShown(const std::string& dottedKey) const;
  QCheckBox* advancedToggle() const { return advancedToggle_; }
  // Where the runs to offer come from, asked each time the menu opens (the workspace's index).
  void setRunSource(std::function<std::vector<RunChoice>()> source) { runSource_ = std::move(source); }
  // The menu of runs last opened for "section.key" (for tests), or nullptr.
  QMenu* runMenu() const { return runMenu_; }
  // Opens the menu of runs beside the editor of `dottedKey`, a key that names a run.
  void pickRun(const std::string& dottedKey);

 signals:
  void edited();
  // An editor took the focus: its key and its description, for the designer's help pane.
  void fieldFocused(const QString& dottedKey, const QString& help);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  struct Field {
    protocol::Param param;
    QWidget* editor;
    QLabel* label;
    QFormLayout* layout;
  };
  void buildModelSection(const std::string& collection, const std::string& arch);
  void buildSections();
  QWidget* makeEditor(const protocol::Param& param);
  void setValue(Field& field, const Json& value);
  Json value(const Field& field) const;
  void addField(QFormLayout* layout, const std::string& section, const protocol::Param& param);
  void foldAdvancedRows();
  void addRunPicker(QLineEdit* edit, const std::string& dottedKey);

  protocol::Catalog catalog_;
  QComboBox* collection_;
  QComboBox* arch_;
  QCheckBox* advancedToggle_;
  QVBoxLayout* sections_;
  std::map<std::string, Field> fields_;  // "section.key"
  std::vector<std::string> order_;
  std::map<std::string, QString> issues_;
  bool loading_ = false;
  std::function<std::vector<RunChoice>()> runSource_;
  QMenu* runMenu_ = nullptr;
};

}  // namespace reef::ui
