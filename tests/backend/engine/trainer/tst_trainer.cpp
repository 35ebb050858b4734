// The Trainer in this process on a model defined here (linear regression with input dropout over
// tensors in memory), registered in its own registry: training lowers the validation loss and
// writes checkpoints and events; a run continued from its checkpoint ends bit-exactly where an
// uninterrupted one does (weights, optimizer moments, generator, data position); early stopping
// ends a run whose monitored metric never improves.
#include <torch/torch.h>

#include "backend/engine/core/dataset.h"
#include "backend/engine/core/model.h"
#include "backend/engine/core/registry.h"
#include "backend/engine/core/tensor_io.h"
#include "backend/engine/trainer/checkpoint.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/engine/trainer/trainer.h"
#include "backend/protocol/event_log.h"
#include "backend/protocol/run_dir.h"
#include "backend/protocol/spec.h"

#include <QtTest>

#include <atomic>
#include <cmath>
#include <memory>

using namespace reef;
using namespace reef::engine;
namespace fs = std::filesystem;

namespace {

// y = x . (1, -2, 0.5, 1.5) + 0.3 for 64 training and 32 validation samples.
struct ToyData {
  torch::Tensor trainX, trainY, valX, valY;
  std::atomic<int64_t> trainingSteps{0};  // batches the model was trained on
};

class TensorDataset : public Dataset {
 public:
  TensorDataset(torch::Tensor x, torch::Tensor y) : x_(std::move(x)), y_(std::move(y)) {}
  int64_t size() const override { return x_.size(0); }
  Batch get(const std::vector<int64_t>& indices) const override {
    const torch::Tensor rows = torch::tensor(indices, torch::kLong);
    Batch batch;
    batch.fields["x"] = x_.index_select(0, rows);
    batch.fields["y"] = y_.index_select(0, rows);
    batch.size = static_cast<int64_t>(indices.size());
    return batch;
  }

 private:
  torch::Tensor x_, y_;
};

// Dropout draws from the generator on every training step, so that a resume is only exact when
// the generator's state is restored too.
struct RegressionNetImpl : torch::nn::Module {
  RegressionNetImpl()
      : dropout(register_module("dropout", torch::nn::Dropout(0.1))),
        linear(register_module("linear", torch::nn::Linear(4, 1))) {}
  torch::Tensor forward(const torch::Tensor& x) { return linear(dropout(x)); }
  torch::nn::Dropout dropout;
  torch::nn::Linear linear;
};
TORCH_MODULE(RegressionNet);

double squaredErrorSum(RegressionNet& net, const torch::Tensor& x, const torch::Tensor& y) {
  return (net->forward(x) - y).pow(2).sum().item<double>();
}

// Reports the mean squared error, and "flat", a metric that never changes (for early stopping).
class RegressionEvaluation : public Evaluation {
 public:
  explicit RegressionEvaluation(RegressionNet net) : net_(std::move(net)) {}
  void update(const Batch& batch) override {
    sse_ += squaredErrorSum(net_, batch.at("x"), batch.at("y"));
    count_ += batch.size;
  }
  MetricMap finish() override { return {{"loss", sse_ / static_cast<double>(count_)}, {"flat", 1.0}}; }

 private:
  RegressionNet net_;
  double sse_ = 0;
  int64_t count_ = 0;
};

class RegressionModel : public Model {
 public:
  explicit RegressionModel(std::shared_ptr<ToyData> data) : data_(std::move(data)) {}
  torch::nn::Module& module() override { return *net_; }
  std::shared_ptr<Dataset> dataset(Split split) override {
    if (split == Split::Train) return std::make_shared<TensorDataset>(data_->trainX, data_->trainY);
    return std::make_shared<TensorDataset>(data_->valX, data_->valY);  // validation and test
  }
  torch::Tensor trainingStep(const Batch& batch) override {
    ++data_->trainingSteps;
    return torch::mse_loss(net_->forward(batch.at("x")), batch.at("y"));
  }
  std::unique_ptr<Evaluation> evaluation(Split) override { return std::make_unique<RegressionEvaluation>(net_); }

 private:
  std::shared_ptr<ToyData> data_;
  RegressionNet net_;
};

std::vector<Json> eventsOfType(const std::vector<Json>& events, const std::string& type) {
  std::vector<Json> out;
  for (const auto& e : events)
    if (e.value("t", std::string()) == type) out.push_back(e);
  return out;
}

// The metric events that carry `key`, in order.
std::vector<Json> metricsWith(const std::vector<Json>& events, const std::string& key) {
  std::vector<Json> out;
  for (const auto& e : eventsOfType(events, "metric"))
    if (e.contains("values") && e["values"].contains(key)) out.push_back(e);
  return out;
}

std::map<std::string, torch::Tensor> weightsAt(const protocol::RunDir& run, int64_t step) {
  return loadCheckpointWeights(run.checkpoint(step) / "model.safetensors");
}

// Whether two sets of named tensors have the same names, shapes, types and bits.
bool identical(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b,
               QString& difference) {
  if (a.size() != b.size()) {
    difference = QString("%1 tensors against %2").arg(a.size()).arg(b.size());
    return false;
  }
  for (const auto& [name, t] : a) {
    const auto other = b.find(name);
    if (other == b.end()) {
      difference = QString::fromStdString(name) + " is missing";
      return false;
    }
    if (t.scalar_type() != other->second.scalar_type() || !torch::equal(t, other->second)) {
      difference = QString::fromStdString(name) + " differs";
      return false;
    }
  }
  return true;
}

}  // namespace

class TestTrainer : public QObject {
  Q_OBJECT

  std::shared_ptr<ToyData> data_;
  std::unique_ptr<Registry> registry_;

  Json spec(int64_t maxSteps, int64_t valInterval, const std::string& monitor = "val/loss", int64_t patience = 0) {
    Json raw = {
        {"model", {{"collection", "toy"}, {"arch", "regression"}}},
        {"data", {{"batch_size", 16}, {"eval_batch_size", 64}, {"workers", 0}}},
        {"trainer",
         {{"max_steps", maxSteps},
          {"val_interval", valInterval},
          {"log_interval", valInterval},
          {"threads", 1},
          {"accelerator", "cpu"},
          {"early_stopping_patience", patience}}},
        // A constant rate: a run continued with a larger max_steps keeps the same schedule.
        {"optim", {{"name", "adam"}, {"lr", 0.1}, {"weight_decay", 0.0}, {"schedule", "constant"}}},
        {"exp", {{"name", "toy"}, {"seed", 7}, {"monitor", monitor}, {"keep_top_k", -1}}},
    };
    return protocol::resolveSpec(raw, engineCatalog(*registry_), "tst_trainer");
  }

  // What `reef train` does around the Trainer: the run directory's layout, rank 0's event stream.
  TrainResult train(const protocol::RunDir& run, const Json& resolved) {
    run.createLayout();
    protocol::EventWriter events(run.events());
    Trainer trainer(*registry_, run, resolved, &events, /*interactive=*/false);
    return trainer.run();
  }

  double valLoss(const std::map<std::string, torch::Tensor>& weights) {
    RegressionNet net;
    loadModuleState(*net, weights, "checkpoint");
    net->eval();
    torch::NoGradGuard noGrad;
    return squaredErrorSum(net, data_->valX, data_->valY) / static_cast<double>(data_->valX.size(0));
  }

 private Q_SLOTS:
  void initTestCase() {
    // The Trainer reads its job from the environment (parallel/dist_env.h): a plain process here,
    // even when the tests themselves run inside a launcher or a Slurm allocation.
    for (const char* name : {"WORLD_SIZE", "RANK", "LOCAL_RANK", "SLURM_NTASKS", "SLURM_PROCID", "SLURM_LOCALID"})
      qunsetenv(name);

    data_ = std::make_shared<ToyData>();
    torch::manual_seed(123);
    const torch::Tensor w = torch::tensor({1.0f, -2.0f, 0.5f, 1.5f}).view({4, 1});
    data_->trainX = torch::randn({64, 4});
    data_->trainY = data_->trainX.matmul(w) + 0.3f;
    data_->valX = torch::randn({32, 4});
    data_->valY = data_->valX.matmul(w) + 0.3f;

    registry_ = std::make_unique<Registry>();
    registry_->addCollection("toy", "Models defined by tst_trainer", {});
    protocol::ModelInfo info;
    info.arch = "regression";
    info.description = "Linear regression with input dropout";
    auto data = data_;
    registry_->addModel("toy", info, [data](const ModelContext&) { return std::make_unique<RegressionModel>(data); });
  }

  void trainingLowersValidationLossAndRecordsTheRun() {
    QTemporaryDir dir;
    const protocol::RunDir run(dir.path().toStdString());
    const Json resolved = spec(40, 10);
    data_->trainingSteps = 0;
    const TrainResult result = train(run, resolved);
    QCOMPARE(QString::fromStdString(result.status), QString("completed"));
    QCOMPARE(result.step, int64_t(40));
    QCOMPARE(data_->trainingSteps.load(), int64_t(40));
    QCOMPARE(run.checkpointSteps(), (std::vector<int64_t>{10, 20, 30, 40}));
    QVERIFY(fs::exists(run.rankLog(0)));

    const std::vector<Json> events = protocol::readEvents(run.events());
    const auto started = eventsOfType(events, "run_started");
    QCOMPARE(int(started.size()), 1);
    const Json& s = started[0];
    QCOMPARE(QString::fromStdString(s["run_id"].get<std::string>()), QDir(dir.path()).dirName());
    QCOMPARE(QString::fromStdString(s["spec_hash"].get<std::string>()),
             QString::fromStdString(protocol::specHash(resolved)));
    QCOMPARE(QString::fromStdString(s["strategy"].get<std::string>()), QString("single"));
    QCOMPARE(s["world_size"].get<int>(), 1);
    QCOMPARE(s["threads"].get<int>(), 1);
    QVERIFY(s["devices"] == Json::array({"cpu"}));
    QCOMPARE(s["parameters"].get<int64_t>(), int64_t(5));  // 4 weights and a bias
    QCOMPARE(s["trainable_parameters"].get<int64_t>(), int64_t(5));
    QCOMPARE(s["total_steps"].get<int64_t>(), int64_t(40));
    QCOMPARE(s["steps_per_epoch"].get<int64_t>(), int64_t(4));  // 64 samples in batches of 16
    QVERIFY(s["resumed_from_step"].is_null());
    QVERIFY(s["init_from"].is_null());

    // Training metrics every log_interval steps; the epoch counts the batches seen.
    const auto trainMetrics = metricsWith(events, "train/loss");
    QCOMPARE(int(trainMetrics.size()), 4);
    QCOMPARE(trainMetrics.back()["step"].get<int64_t>(), int64_t(40));
    QCOMPARE(trainMetrics.back()["values"]["train/epoch"].get<double>(), 10.0);
    QCOMPARE(trainMetrics.back()["values"]["train/lr"].get<double>(), 0.1);
    for (const auto& m : trainMetrics) {
      QVERIFY(std::isfinite(m["values"]["train/loss"].get<double>()));
      QVERIFY(m["values"]["perf/samples_per_s"].get<double>() > 0);
    }

    // Validations at steps 10, 20, 30, 40; the loss falls well below that of predicting zero.
    const auto validations = metricsWith(events, "val/loss");
    QCOMPARE(int(validations.size()), 4);
    std::vector<int64_t> validated;
    for (const auto& v : validations) validated.push_back(v["step"].get<int64_t>());
    QCOMPARE(validated, (std::vector<int64_t>{10, 20, 30, 40}));
    const double first = validations.front()["values"]["val/loss"].get<double>();
    const double last = validations.back()["values"]["val/loss"].get<double>();
    const double predictZero = data_->valY.pow(2).mean().item<double>();
    QVERIFY2(last < 0.5 * first, qPrintable(QString("val/loss %1 at step 10, %2 at step 40").arg(first).arg(last)));
    QVERIFY2(last < 0.1 * predictZero, qPrintable(QString("val/loss %1, predicting 0: %2").arg(last).arg(predictZero)));

    // Each checkpoint holds the weights that were validated at its step.
    const double reloaded = valLoss(weightsAt(run, 40));
    QVERIFY2(std::abs(reloaded - last) <= 1e-6 * last,
             qPrintable(QString("checkpoint step-40: %1, validated: %2").arg(reloaded).arg(last)));
    const auto checkpoints = eventsOfType(events, "checkpoint");
    QCOMPARE(int(checkpoints.size()), 4);
    for (size_t i = 0; i < checkpoints.size(); ++i) {
      const Json& c = checkpoints[i];
      const int64_t step = validated[i];
      QCOMPARE(c["step"].get<int64_t>(), step);
      QCOMPARE(QString::fromStdString(c["path"].get<std::string>()), QString("checkpoints/step-%1").arg(step));
      QCOMPARE(QString::fromStdString(c["monitor"].get<std::string>()), QString("val/loss"));
      QCOMPARE(c["value"].get<double>(), validations[i]["values"]["val/loss"].get<double>());
      QVERIFY(c["removed_steps"].empty());  // keep_top_k -1 keeps them all
    }

    // The test split (here the validation data) is evaluated with the final weights.
    QVERIFY(result.testMetrics.count("test/loss"));
    QCOMPARE(result.testMetrics.at("test/loss"), last);
    QCOMPARE(int(metricsWith(events, "test/loss").size()), 1);
  }

  void resumeIsBitExact() {
    const int64_t n = 6;
    QTemporaryDir whole, parts;
    const protocol::RunDir uninterrupted(whole.path().toStdString());
    const protocol::RunDir continued(parts.path().toStdString());

    QCOMPARE(train(uninterrupted, spec(2 * n, 3)).step, 2 * n);

    QCOMPARE(train(continued, spec(n, 3)).step, n);
    QCOMPARE(continued.checkpointSteps(), (std::vector<int64_t>{3, 6}));
    data_->trainingSteps = 0;
    const TrainResult second = train(continued, spec(2 * n, 3));
    QCOMPARE(second.step, 2 * n);
    QCOMPARE(data_->trainingSteps.load(), n);  // it continued from step n rather than starting over

    const auto started = eventsOfType(protocol::readEvents(continued.events()), "run_started");
    QCOMPARE(int(started.size()), 2);
    QVERIFY(started[0]["resumed_from_step"].is_null());
    QCOMPARE(started[1]["resumed_from_step"].get<int64_t>(), n);

    // Training moved the weights after the resume, and both runs moved them alike, to the bit.
    QString difference;
    QVERIFY2(!identical(weightsAt(continued, n), weightsAt(continued, 2 * n), difference),
             "the weights did not change after the resume");
    QVERIFY2(identical(weightsAt(uninterrupted, n), weightsAt(continued, n), difference), qPrintable(difference));
    QVERIFY2(identical(weightsAt(uninterrupted, 2 * n), weightsAt(continued, 2 * n), difference),
             qPrintable(difference));

    // So did the optimizer's moments, the generator and the position in the data.
    const LoadedCheckpoint a = CheckpointStore(uninterrupted).load(2 * n);
    const LoadedCheckpoint b = CheckpointStore(continued).load(2 * n);
    QVERIFY(a.trainerTensors.count("rng.cpu"));
    QVERIFY2(identical(a.trainerTensors, b.trainerTensors, difference), qPrintable(difference));
    QCOMPARE(b.state.step, 2 * n);
    QCOMPARE(b.state.optimizerSteps, a.state.optimizerSteps);
    QCOMPARE(b.state.optimizerSteps, 2 * n);
    QCOMPARE(b.state.position.epoch, a.state.position.epoch);
    QCOMPARE(b.state.position.batch, a.state.position.batch);
    QCOMPARE(b.state.samplesSeen, a.state.samplesSeen);
    QCOMPARE(b.state.bestMonitor.value(), a.state.bestMonitor.value());
    QVERIFY(b.state.lastValidation == a.state.lastValidation);
  }

  void earlyStoppingEndsARunThatNeverImproves() {
    QTemporaryDir dir;
    const protocol::RunDir run(dir.path().toStdString());
    data_->trainingSteps = 0;
    // val/flat is the same at every validation: the first sets the best, the second (step 4)
    // does not improve on it, and patience 1 is used up.
    const TrainResult result = train(run, spec(12, 2, "val/flat", /*patience=*/1));
    QCOMPARE(QString::fromStdString(result.status), QString("completed"));
    QCOMPARE(result.step, int64_t(4));
    QCOMPARE(data_->trainingSteps.load(), int64_t(4));
    QCOMPARE(run.checkpointSteps(), (std::vector<int64_t>{2, 4}));
    const LoadedCheckpoint last = CheckpointStore(run).load(4);
    QCOMPARE(last.state.validationsWithoutImprovement, int64_t(1));

    bool logged = false;
    for (const auto& e : eventsOfType(protocol::readEvents(run.events()), "log"))
      logged = logged || QString::fromStdString(e.value("message", std::string())).contains("early stopping at step 4");
    QVERIFY(logged);
    QVERIFY(result.testMetrics.count("test/loss"));  // an early stop still tests the model
  }

  void patienceZeroTrainsToTheEnd() {
    QTemporaryDir dir;
    const protocol::RunDir run(dir.path().toStdString());
    const TrainResult result = train(run, spec(12, 2, "val/flat", /*patience=*/0));
    QCOMPARE(result.step, int64_t(12));
    QCOMPARE(CheckpointStore(run).load(12).state.validationsWithoutImprovement, int64_t(5));
  }

  void unknownMonitorIsASpecError() {
    QTemporaryDir dir;
    const protocol::RunDir run(dir.path().toStdString());
    try {
      train(run, spec(4, 2, "val/acc"));
      QFAIL("expected a SpecError");
    } catch (const protocol::SpecError& e) {
      const QString message = QString::fromUtf8(e.what());
      QVERIFY2(message.contains("exp.monitor") && message.contains("val/acc") && message.contains("val/loss"),
               qPrintable(message));
    }
  }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
