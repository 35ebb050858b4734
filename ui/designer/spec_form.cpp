#include "ui/designer/spec_form.h"

#include "backend/protocol/number_format.h"
#include "ui/designer/odd_spin_box.h"
#include "ui/designer/spec_diff.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleValidator>
#include <QEvent>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSpinBox>
#include <QStyle>
#include <QVBoxLayout>

#include <climits>
#include <cmath>

namespace reef::ui {

namespace {

const char* kInvalidStyle = "border: 1px solid #d33; background: #fdecec;";

bool fitsInt(const protocol::Param& p) { return p.min && p.max && *p.min >= INT_MIN && *p.max <= INT_MAX; }

QString label(const std::string& key) { return QString::fromStdString(key); }

QString tipOf(const protocol::Param& p) {
  std::string tip = p.description + "\n(" + p.allowed() + "; default " + p.defaultValue.dump();
  if (!p.special.empty() && p.min) tip += "; " + protocol::formatNumber(*p.min) + " means " + p.special;
  return QString::fromStdString(tip + ")");
}

}  // namespace

SpecForm::SpecForm(protocol::Catalog catalog, QWidget* parent) : QWidget(parent), catalog_(std::move(catalog)) {
  auto* layout = new QVBoxLayout(this);
  auto* header = new QGroupBox(tr("model"), this);
  auto* headerForm = new QFormLayout(header);
  collection_ = new QComboBox(header);
  arch_ = new QComboBox(header);
  for (const auto& c : catalog_.collections)
    collection_->addItem(QString::fromStdString(c.name), QString::fromStdString(c.description));
  headerForm->addRow(tr("collection"), collection_);
  headerForm->addRow(tr("arch"), arch_);
  advancedToggle_ = new QCheckBox(tr("show advanced settings"), header);
  advancedToggle_->setToolTip(tr("Advanced keys are folded away unless they differ from their default or are wrong"));
  headerForm->addRow(QString(), advancedToggle_);
  connect(advancedToggle_, &QCheckBox::toggled, this, &SpecForm::foldAdvancedRows);
  layout->addWidget(header);
  sections_ = new QVBoxLayout();
  layout->addLayout(sections_);
  layout->addStretch(1);

  auto refillArchs = [this] {
    const protocol::CollectionInfo* c = catalog_.collection(collection_->currentText().toStdString());
    const QSignalBlocker block(arch_);
    arch_->clear();
    if (c)
      for (const auto& m : c->models) arch_->addItem(QString::fromStdString(m.arch));
    collection_->setToolTip(c ? QString::fromStdString(c->description) : QString());
  };
  connect(collection_, &QComboBox::currentIndexChanged, this, [this, refillArchs] {
    refillArchs();
    const Json keep = spec();
    buildSections();
    setSpec(keep);
    if (!loading_) emit edited();
  });
  connect(arch_, &QComboBox::currentIndexChanged, this, [this] {
    const Json keep = spec();
    buildSections();
    setSpec(keep);
    if (!loading_) emit edited();
  });
  refillArchs();
  buildSections();
}

void SpecForm::buildSections() {
  while (QLayoutItem* item = sections_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  fields_.clear();
  order_.clear();
  const std::string collection = collection_->currentText().toStdString();
  const std::string arch = arch_->currentText().toStdString();
  const protocol::CollectionInfo* c = catalog_.collection(collection);
  const protocol::ModelInfo* m = catalog_.model(collection, arch);
  arch_->setToolTip(m ? QString::fromStdString(m->description) : QString());
  auto group = [&](const std::string& name, const protocol::Section& params) {
    auto* box = new QGroupBox(QString::fromStdString(name == "model" ? "model: " + arch : name), this);
    auto* form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    for (const auto& p : params) addField(form, name, p);
    sections_->addWidget(box);
  };
  if (m) group("model", m->params);
  if (c) group("data", c->data);
  for (const auto& [name, params] : catalog_.sections) group(name, params);
  foldAdvancedRows();
}

QWidget* SpecForm::makeEditor(const protocol::Param& p) {
  switch (p.type) {
    case protocol::ParamType::Int:
      if (fitsInt(p)) {
        auto* spin = p.odd ? new OddSpinBox(this) : new QSpinBox(this);
        spin->setFocusPolicy(Qt::StrongFocus);  // a wheel does not take focus (see eventFilter)
        spin->setRange(static_cast<int>(*p.min), static_cast<int>(*p.max));
        if (!p.special.empty()) spin->setSpecialValueText(QString::fromStdString(p.special));
        connect(spin, &QSpinBox::valueChanged, this, [this] {
          if (!loading_) emit edited();
        });
        return spin;
      }
      [[fallthrough]];
    case protocol::ParamType::Float:
    case protocol::ParamType::String: {
      auto* edit = new QLineEdit(this);
      if (!p.special.empty()) edit->setPlaceholderText(QString::fromStdString(p.special));  // shown when empty
      if (p.type == protocol::ParamType::Float) {
        auto* validator = new QDoubleValidator(edit);
        validator->setNotation(QDoubleValidator::ScientificNotation);
        validator->setLocale(QLocale::c());
        edit->setValidator(validator);
      }
      connect(edit, &QLineEdit::textEdited, this, [this] {
        if (!loading_) emit edited();
      });
      return edit;
    }
    case protocol::ParamType::Bool: {
      auto* box = new QCheckBox(this);
      connect(box, &QCheckBox::toggled, this, [this] {
        if (!loading_) emit edited();
      });
      return box;
    }
    case protocol::ParamType::Choice: {
      auto* combo = new QComboBox(this);
      combo->setFocusPolicy(Qt::StrongFocus);
      for (const auto& c : p.choices) combo->addItem(QString::fromStdString(c));
      connect(combo, &QComboBox::currentIndexChanged, this, [this] {
        if (!loading_) emit edited();
      });
      return combo;
    }
  }
  return new QLineEdit(this);
}

void SpecForm::addField(QFormLayout* layout, const std::string& section, const protocol::Param& param) {
  QWidget* editor = makeEditor(param);
  const QString tip = tipOf(param);
  editor->setToolTip(tip);
  auto* name = new QLabel(label(param.key), this);
  name->setToolTip(tip);
  layout->addRow(name, editor);
  const std::string key = section + "." + param.key;
  editor->setProperty("specKey", QString::fromStdString(key));
  editor->installEventFilter(this);
  fields_[key] = {param, editor, name, layout};
  order_.push_back(key);
  if (param.format == "run") addRunPicker(qobject_cast<QLineEdit*>(editor), key);
  setValue(fields_[key], param.defaultValue);
}

void SpecForm::addRunPicker(QLineEdit* edit, const std::string& dottedKey) {
  edit->setPlaceholderText(tr("none: start from nothing"));
  QAction* pick = edit->addAction(style()->standardIcon(QStyle::SP_DirOpenIcon), QLineEdit::TrailingPosition);
  pick->setToolTip(tr("Pick a run of this workspace"));
  connect(pick, &QAction::triggered, this, [this, dottedKey] { pickRun(dottedKey); });
}

void SpecForm::pickRun(const std::string& dottedKey) {
  auto* edit = qobject_cast<QLineEdit*>(editor(dottedKey));
  if (!edit) return;
  delete runMenu_;
  runMenu_ = new QMenu(this);
  const QString collection = collection_->currentText();
  auto set = [this, edit](const QString& path) {
    edit->setText(path);
    emit edited();
  };
  int offered = 0;
  for (const RunChoice& run : runSource_ ? runSource_() : std::vector<RunChoice>{}) {
    if (run.collection != collection) continue;  // another collection's weights cannot fit
    runMenu_->addAction(run.label, this, [set, path = run.path] { set(path); })->setToolTip(run.path);
    ++offered;
  }
  if (offered == 0) runMenu_->addAction(tr("No %1 runs in this workspace yet").arg(collection))->setEnabled(false);
  if (!edit->text().isEmpty()) {
    runMenu_->addSeparator();
    runMenu_->addAction(tr("None: start from nothing"), this, [set] { set(QString()); });
  }
  runMenu_->popup(edit->mapToGlobal(QPoint(0, edit->height())));
}

bool SpecForm::eventFilter(QObject* watched, QEvent* event) {
  // The form scrolls under the pointer: a wheel over a spin box or list the user never clicked
  // would change its value on the way. Ignored here, the wheel goes on to the scroll area.
  if (event->type() == QEvent::Wheel && (qobject_cast<QSpinBox*>(watched) || qobject_cast<QComboBox*>(watched)) &&
      !static_cast<QWidget*>(watched)->hasFocus()) {
    event->ignore();
    return true;
  }
  if (event->type() == QEvent::FocusIn) {
    const QString key = watched->property("specKey").toString();
    if (const auto it = fields_.find(key.toStdString()); it != fields_.end())
      emit fieldFocused(key, tipOf(it->second.param));
  }
  return QWidget::eventFilter(watched, event);
}

void SpecForm::setValue(Field& f, const Json& v) {
  const protocol::Param& p = f.param;
  if (auto* spin = qobject_cast<QSpinBox*>(f.editor)) {
    spin->setValue(v.is_number() ? static_cast<int>(v.get<double>()) : static_cast<int>(p.defaultValue.get<double>()));
  } else if (auto* box = qobject_cast<QCheckBox*>(f.editor)) {
    box->setChecked(v.is_boolean() ? v.get<bool>() : p.defaultValue.get<bool>());
  } else if (auto* combo = qobject_cast<QComboBox*>(f.editor)) {
    const QString text =
        QString::fromStdString(v.is_string() ? v.get<std::string>() : p.defaultValue.get<std::string>());
    int index = combo->findText(text);
    if (index < 0) {  // an unknown choice stays visible, so validation can point at it
      combo->addItem(text);
      index = combo->count() - 1;
    }
    combo->setCurrentIndex(index);
  } else if (auto* edit = qobject_cast<QLineEdit*>(f.editor)) {
    if (!p.special.empty() && p.min && v.is_number() && v.get<double>() == *p.min)
      edit->clear();  // the placeholder says what it means
    else if (v.is_string())
      edit->setText(QString::fromStdString(v.get<std::string>()));
    else if (v.is_number_integer())
      edit->setText(QString::number(v.get<long long>()));
    else if (v.is_number())
      edit->setText(QString::fromStdString(protocol::formatNumber(v.get<double>())));
    else if (v.is_null())
      edit->clear();
    else
      edit->setText(QString::fromStdString(v.dump()));
  }
}

Json SpecForm::value(const Field& f) const {
  if (auto* spin = qobject_cast<QSpinBox*>(f.editor)) return spin->value();
  if (auto* box = qobject_cast<QCheckBox*>(f.editor)) return box->isChecked();
  if (auto* combo = qobject_cast<QComboBox*>(f.editor)) return combo->currentText().toStdString();
  const QString text = qobject_cast<QLineEdit*>(f.editor)->text().trimmed();
  if (f.param.type == protocol::ParamType::String) return text.toStdString();
  if (text.isEmpty() && !f.param.special.empty() && f.param.min)
    return f.param.type == protocol::ParamType::Int ? Json(static_cast<long long>(*f.param.min)) : Json(*f.param.min);
  bool ok = false;
  if (f.param.type == protocol::ParamType::Int) {
    const long long i = text.toLongLong(&ok);
    if (ok) return i;
  }
  const double d = QLocale::c().toDouble(text, &ok);
  if (ok)
    return f.param.type == protocol::ParamType::Int && std::floor(d) == d ? Json(static_cast<long long>(d)) : Json(d);
  return text.toStdString();  // not a number: validation will say what is allowed
}

void SpecForm::setSpec(const Json& spec) {
  const bool wasLoading = loading_;  // setSpec re-enters itself when the model changes
  loading_ = true;
  const Json model = spec.is_object() ? spec.value("model", Json::object()) : Json::object();
  if (model.is_object()) {
    const int c = collection_->findText(QString::fromStdString(model.value("collection", "")));
    if (c >= 0 && c != collection_->currentIndex()) collection_->setCurrentIndex(c);
    const int a = arch_->findText(QString::fromStdString(model.value("arch", "")));
    if (a >= 0 && a != arch_->currentIndex()) arch_->setCurrentIndex(a);
  }
  for (auto& [key, field] : fields_) {
    const auto dot = key.find('.');
    const std::string section = key.substr(0, dot), name = key.substr(dot + 1);
    const Json s = spec.is_object() ? spec.value(section, Json::object()) : Json::object();
    setValue(field, s.is_object() && s.contains(name) ? s[name] : field.param.defaultValue);
  }
  loading_ = wasLoading;
  foldAdvancedRows();
}

Json SpecForm::spec() const {
  Json out = Json::object();
  out["model"] = {{"collection", collection_->currentText().toStdString()},
                  {"arch", arch_->currentText().toStdString()}};
  for (const auto& key : order_) {
    const auto dot = key.find('.');
    out[key.substr(0, dot)][key.substr(dot + 1)] = value(fields_.at(key));
  }
  return out;
}

void SpecForm::showIssues(const std::vector<protocol::SpecIssue>& issues) {
  issues_.clear();
  for (const auto& i : issues)
    issues_[i.key] += (issues_[i.key].isEmpty() ? "" : "\n") + QString::fromStdString(i.message);
  for (auto& [key, field] : fields_) {
    const auto it = issues_.find(key);
    const QString tip = tipOf(field.param);
    field.editor->setStyleSheet(it == issues_.end() ? QString() : kInvalidStyle);
    field.editor->setToolTip(it == issues_.end() ? tip : it->second + "\n\n" + tip);
    field.label->setStyleSheet(it == issues_.end() ? QString() : "color: #c22;");
  }
  foldAdvancedRows();
}

void SpecForm::foldAdvancedRows() {
  for (auto& [key, field] : fields_) {
    if (!field.param.advanced) continue;
    const bool show = advancedToggle_->isChecked() || !sameSpecValue(value(field), field.param.defaultValue) ||
                      issues_.count(key) > 0;
    field.layout->setRowVisible(field.editor, show);
  }
}

bool SpecForm::rowShown(const std::string& key) const {
  const auto it = fields_.find(key);
  return it != fields_.end() && !it->second.editor->isHidden();
}

QWidget* SpecForm::editor(const std::string& key) const {
  auto it = fields_.find(key);
  return it == fields_.end() ? nullptr : it->second.editor;
}

QString SpecForm::issueText(const std::string& key) const {
  auto it = issues_.find(key);
  return it == issues_.end() ? QString() : it->second;
}

}  // namespace reef::ui
