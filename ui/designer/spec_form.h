#pragma once
// A form generated from the engine's catalog: one group per spec section, one editor per key
// (spin box with the declared range, combo box for choices, check box, line edit), tooltips from
// the descriptions. Values in and out are spec JSON; validation issues are shown on the editors.
#include "backend/protocol/catalog.h"
#include "backend/protocol/json.h"
#include "backend/protocol/spec.h"

#include <QWidget>

#include <map>
#include <string>
#include <vector>

class QComboBox;
class QFormLayout;
class QLabel;
class QVBoxLayout;

namespace reef::ui {

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

 signals:
  void edited();

 private:
  struct Field {
    protocol::Param param;
    QWidget* editor;
    QLabel* label;
  };
  void buildModelSection(const std::string& collection, const std::string& arch);
  void buildSections();
  QWidget* makeEditor(const protocol::Param& param);
  void setValue(Field& field, const Json& value);
  Json value(const Field& field) const;
  void addField(QFormLayout* layout, const std::string& section, const protocol::Param& param);

  protocol::Catalog catalog_;
  QComboBox* collection_;
  QComboBox* arch_;
  QVBoxLayout* sections_;
  std::map<std::string, Field> fields_;  // "section.key"
  std::vector<std::string> order_;
  std::map<std::string, QString> issues_;
  bool loading_ = false;
};

}  // namespace reef::ui
