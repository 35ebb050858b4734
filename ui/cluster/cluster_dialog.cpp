#include "ui/cluster/cluster_dialog.h"

#include "backend/protocol/json.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QIntValidator>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace reef::ui {

namespace {

// The form's text fields: clusters.json key, label, hint.
struct FieldSpec {
  const char* key;
  const char* label;
  const char* hint;
};
const FieldSpec kFields[] = {
    {"name", "Name", "letters, digits, _ . -"},
    {"host", "Host", "login node, e.g. login.cluster.org"},
    {"port", "Port", "22"},
    {"user", "User", "account on the cluster"},
    {"key_file", "Key file", "empty: ssh-agent, then ~/.ssh/id_*"},
    {"known_hosts", "known_hosts", "empty: ~/.ssh/known_hosts"},
    {"remote_workspace", "Remote workspace", "absolute folder for runs, e.g. /scratch/me/reef"},
    {"reef_path", "reef on the cluster", "reef"},
    {"partition", "Partition", "Slurm's default when empty"},
    {"account", "Account", ""},
    {"qos", "QOS", ""},
    {"time_limit", "Time limit", "01:00:00"},
    {"nodes", "Nodes", "1"},
    {"tasks_per_node", "Tasks per node", "1"},
    {"gpus_per_node", "GPUs per node", "0"},
    {"cpus_per_task", "CPUs per task", "0: Slurm's default"},
    {"memory", "Memory per node", "e.g. 32G"},
    {"network_interface", "Network interface", "empty: automatic; e.g. ib0 for the ranks' traffic"},
};

bool isNumber(const QString& key) {
  return key == "port" || key == "nodes" || key == "tasks_per_node" || key == "gpus_per_node" || key == "cpus_per_task";
}

}  // namespace

ClusterDialog::~ClusterDialog() {
  // The test's handlers use this dialog's widgets: they must not run while it is destroyed.
  if (!process_) return;
  process_->disconnect(this);
  process_->kill();
  process_->waitForFinished();
}

ClusterDialog::ClusterDialog(QString reefBinary, QWidget* parent)
    : QDialog(parent), reefBinary_(std::move(reefBinary)) {
  setWindowTitle(tr("Clusters"));
  confirmHostKey = [this](const QString& where, const QString& fingerprint) {
    return QMessageBox::question(
               this, tr("Unknown host key"),
               tr("%1 is not in known_hosts. Its key's fingerprint is\n\n%2\n\nTrust it only if it is the "
                  "fingerprint your cluster's administrators publish. Trust it?")
                   .arg(where, fingerprint)) == QMessageBox::Yes;
  };
  auto* layout = new QHBoxLayout(this);
  auto* left = new QVBoxLayout;
  list_ = new QListWidget(this);
  auto* add = new QPushButton(tr("New"), this);
  auto* remove = new QPushButton(tr("Remove"), this);
  left->addWidget(list_, 1);
  auto* leftButtons = new QHBoxLayout;
  leftButtons->addWidget(add);
  leftButtons->addWidget(remove);
  left->addLayout(leftButtons);
  layout->addLayout(left, 1);

  auto* right = new QVBoxLayout;
  auto* form = new QFormLayout;
  scheduler_ = new QComboBox(this);
  scheduler_->addItems({"slurm", "ssh"});
  scheduler_->setToolTip(tr("slurm: jobs through sbatch; ssh: a process on a host without a scheduler"));
  for (const auto& f : kFields) {
    auto* edit = new QLineEdit(this);
    edit->setObjectName(f.key);
    edit->setPlaceholderText(tr(f.hint));
    if (isNumber(f.key)) edit->setValidator(new QIntValidator(0, 65535, edit));
    fields_[f.key] = edit;
    form->addRow(tr(f.label), edit);
    if (QString(f.key) == "port") form->addRow(tr("Scheduler"), scheduler_);
  }
  environment_ = new QPlainTextEdit(this);
  environment_->setPlaceholderText(tr("Shell lines run before the engine, one a line (module load cuda, export ...)"));
  environment_->setMaximumHeight(70);
  form->addRow(tr("Environment"), environment_);
  right->addLayout(form);
  auto* buttons = new QHBoxLayout;
  auto* saveButton = new QPushButton(tr("Save"), this);
  testButton_ = new QPushButton(tr("Test connection"), this);
  buttons->addWidget(saveButton);
  buttons->addWidget(testButton_);
  buttons->addStretch(1);
  auto* close = new QPushButton(tr("Close"), this);
  buttons->addWidget(close);
  right->addLayout(buttons);
  report_ = new QPlainTextEdit(this);
  report_->setReadOnly(true);
  report_->setPlaceholderText(tr("What the connection test finds appears here."));
  right->addWidget(report_, 1);
  layout->addLayout(right, 2);

  connect(list_, &QListWidget::currentTextChanged, this, [this](const QString& name) {
    if (name.isEmpty()) return;
    try {
      toForm(cluster::ClusterProfiles().get(name.toStdString()));
    } catch (const std::exception& e) {
      report_->setPlainText(QString::fromStdString(e.what()));
    }
  });
  connect(add, &QPushButton::clicked, this, [this] {
    list_->clearSelection();
    toForm(cluster::ClusterProfile{});
    fields_["name"]->setFocus();
  });
  connect(remove, &QPushButton::clicked, this, &ClusterDialog::remove);
  connect(saveButton, &QPushButton::clicked, this, &ClusterDialog::save);
  connect(testButton_, &QPushButton::clicked, this, &ClusterDialog::testConnection);
  connect(close, &QPushButton::clicked, this, &QDialog::accept);
  reload({});
  resize(900, 620);
}

QLineEdit* ClusterDialog::field(const QString& key) const {
  auto it = fields_.find(key);
  return it == fields_.end() ? nullptr : it->second;
}

void ClusterDialog::reload(const QString& select) {
  list_->clear();
  try {
    for (const auto& p : cluster::ClusterProfiles().all()) list_->addItem(QString::fromStdString(p.name));
  } catch (const std::exception& e) {
    report_->setPlainText(QString::fromStdString(e.what()));
  }
  if (!select.isEmpty())
    this->select(select);
  else if (list_->count() > 0)
    list_->setCurrentRow(0);
  else
    toForm(cluster::ClusterProfile{});
}

void ClusterDialog::select(const QString& name) {
  const auto found = list_->findItems(name, Qt::MatchExactly);
  if (!found.isEmpty()) list_->setCurrentItem(found.first());
}

cluster::ClusterProfile ClusterDialog::fromForm() const {
  Json j = Json::object();
  for (const auto& [key, edit] : fields_) {
    const QString text = edit->text().trimmed();
    if (isNumber(key)) {
      if (!text.isEmpty()) j[key.toStdString()] = text.toInt();
    } else {
      j[key.toStdString()] = text.toStdString();
    }
  }
  j["scheduler"] = scheduler_->currentText().toStdString();
  Json lines = Json::array();
  for (const QString& line : environment_->toPlainText().split('\n'))
    if (!line.trimmed().isEmpty()) lines.push_back(line.toStdString());
  j["environment"] = lines;
  cluster::ClusterProfile defaults;
  if (j["reef_path"] == "") j["reef_path"] = defaults.reefPath;
  if (j["time_limit"] == "") j["time_limit"] = defaults.timeLimit;
  return cluster::ClusterProfile::fromJson(j, "the form");
}

void ClusterDialog::toForm(const cluster::ClusterProfile& p) {
  const Json j = p.toJson();
  for (const auto& [key, edit] : fields_) {
    const Json& v = j[key.toStdString()];
    edit->setText(v.is_string() ? QString::fromStdString(v.get<std::string>()) : QString::number(v.get<int>()));
  }
  scheduler_->setCurrentText(QString::fromStdString(p.scheduler));
  QStringList lines;
  for (const auto& l : p.environment) lines << QString::fromStdString(l);
  environment_->setPlainText(lines.join('\n'));
}

bool ClusterDialog::save() {
  try {
    const cluster::ClusterProfile p = fromForm();
    cluster::ClusterProfiles().put(p);
    reload(QString::fromStdString(p.name));
    report_->setPlainText(tr("Saved %1.").arg(QString::fromStdString(p.name)));
    Q_EMIT profilesChanged();
    return true;
  } catch (const std::exception& e) {
    report_->setPlainText(QString::fromStdString(e.what()));
    return false;
  }
}

void ClusterDialog::remove() {
  const QString name = fields_["name"]->text().trimmed();
  try {
    if (!cluster::ClusterProfiles().remove(name.toStdString())) return;
  } catch (const std::exception& e) {
    report_->setPlainText(QString::fromStdString(e.what()));
    return;
  }
  reload({});
  Q_EMIT profilesChanged();
}

void ClusterDialog::testConnection() {
  if (!save()) {
    Q_EMIT tested(false);
    return;
  }
  runTest(fields_["name"]->text().trimmed(), {});
}

void ClusterDialog::runTest(const QString& name, const QString& acceptFingerprint) {
  if (process_) {
    process_->disconnect(this);
    process_->deleteLater();
  }
  process_ = new QProcess(this);
  testButton_->setEnabled(false);
  report_->setPlainText(tr("Connecting to %1...").arg(name));
  QStringList args = {"cluster", "test", name, "--json"};
  if (!acceptFingerprint.isEmpty()) args << "--accept-host-key" << acceptFingerprint;
  connect(process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
    if (error != QProcess::FailedToStart) return;
    testButton_->setEnabled(true);
    report_->setPlainText(tr("Could not start the engine (%1): %2").arg(reefBinary_, process_->errorString()));
    Q_EMIT tested(false);
  });
  connect(process_, &QProcess::finished, this, [this, name](int exitCode) {
    testButton_->setEnabled(true);
    const QString err = QString::fromUtf8(process_->readAllStandardError()).trimmed();
    if (exitCode != 0) {
      static const QRegularExpression unknown(R"(host key of (\S+) is not known \((SHA256:[A-Za-z0-9+/=]+))");
      const auto m = unknown.match(err);
      if (m.hasMatch() && confirmHostKey(m.captured(1), m.captured(2))) {
        runTest(name, m.captured(2));
        return;
      }
      report_->setPlainText(tr("Not connected.\n%1").arg(err));
      Q_EMIT tested(false);
      return;
    }
    const Json r = Json::parse(process_->readAllStandardOutput().toStdString(), nullptr, false);
    QString text = tr("Connected.\n");
    for (const auto& [key, value] : r.items())
      text += QString("%1: %2\n")
                  .arg(QString::fromStdString(key),
                       QString::fromStdString(value.is_string() ? value.get<std::string>() : value.dump()));
    report_->setPlainText(text);
    Q_EMIT tested(true);
  });
  process_->start(reefBinary_, args);
}

}  // namespace reef::ui
