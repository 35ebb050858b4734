// `reef export RUN_OR_BUNDLE --format bundle|hf|gguf|onnx|triton`: a trained model as one file
// Reef's deployment consumes, or in the layouts other runtimes load; every file is read back and
// checked against the model before the command succeeds.
#include "export_command.h"

#include "cli/commands.h"
#include "cli/run_loading.h"
#include "formats/export_checks.h"
#include "formats/llama_formats.h"
#include "formats/classifier_formats.h"

#include <cstdio>
#include <memory>

namespace fs = std::filesystem;

namespace reef::exporting {

namespace {

struct ExportOptions {
  std::string target, checkpoint = "best", format, out, type = "f16", name;
  int64_t maxBatch = 64;
  bool json = false;
};

struct ExportResult {
  std::vector<fs::path> files;
  std::vector<ExportCheck> checks;
};

llm::CausalLM& languageModel(engine::LoadedRun& loaded, const std::string& format) {
  auto* lm = dynamic_cast<llm::CausalLM*>(loaded.model.get());
  if (!lm)
    throw std::runtime_error("--format " + format + " exports language models; this run is a " + engine::modelKind(loaded) +
                             " model (classifiers export as --format onnx or triton)");
  lm->module().to(torch::kCPU);
  return *lm;
}

// An image or text classifier's ONNX graph at `file`; a text classifier's tokenizer goes beside it
// as <stem>.tokenizer.model (the graph takes token ids). Returns the graph's signature and adds
// the files written to `files`.
OnnxSignature writeClassifierOnnx(engine::LoadedRun& loaded, const std::string& format, const fs::path& file,
                                  std::vector<fs::path>& files) {
  loaded.model->to(torch::kCPU);
  if (auto* image = dynamic_cast<vision::ImageClassifier*>(loaded.model.get())) {
    files.push_back(file);
    return writeVisionOnnx(*image, loaded.spec, file);
  }
  if (auto* text = dynamic_cast<nlp::TextClassifier*>(loaded.model.get())) {
    OnnxSignature s = writeTextOnnx(*text, loaded.spec, file);
    const fs::path tokenizer = file.parent_path() / (file.stem().string() + ".tokenizer.model");
    fs::copy_file(text->tokenizerPath(), tokenizer, fs::copy_options::overwrite_existing);
    files.insert(files.end(), {file, tokenizer});
    return s;
  }
  throw std::runtime_error("--format " + format + " exports image and text classifiers; this run is a " + engine::modelKind(loaded) +
                           " model (language models export as --format gguf or hf)");
}

engine::NamedTensors parametersOf(torch::nn::Module& module) {
  engine::NamedTensors out;
  for (const auto& p : module.named_parameters()) out.emplace_back(p.key(), p.value());
  return out;
}

ExportResult exportModel(const ExportOptions& o, engine::LoadedRun& loaded) {
  const std::string step = "step-" + std::to_string(loaded.step);
  const std::string name = loaded.spec["exp"]["name"].get<std::string>();
  // Beside a bundle, or in the run's exports/.
  const fs::path exports = loaded.bundle.empty() ? loaded.run.exports() : loaded.bundle.parent_path();
  ExportResult r;
  if (o.format == "bundle") {
    const fs::path file = o.out.empty() ? exports / (name + "-" + step + ".reef") : fs::path(o.out);
    engine::writeBundleOf(loaded, file);
    r.files = {file};
    r.checks = {checkBundleMetadata(file, loaded.spec, loaded.step, loaded.model->inferenceAssets()->size()),
                checkSafetensorsWeights(file, engine::moduleState(loaded.model->module()))};
  } else if (o.format == "hf") {
    const fs::path dir = o.out.empty() ? exports / ("hf-" + step) : fs::path(o.out);
    auto& lm = languageModel(loaded, o.format);
    r.files = writeHuggingFaceLlama(lm, dir);
    r.checks = {checkSafetensorsWeights(dir / "model.safetensors", parametersOf(*lm.network()))};
  } else if (o.format == "gguf") {
    const GgmlType type = o.type == "f32" ? GgmlType::F32 : o.type == "f16" ? GgmlType::F16 : GgmlType::Q8_0;
    const fs::path file = o.out.empty() ? exports / (name + "-" + step + "-" + o.type + ".gguf") : fs::path(o.out);
    if (file.has_parent_path()) fs::create_directories(file.parent_path());
    auto& lm = languageModel(loaded, o.format);
    writeLlamaGguf(lm, file, type, name);
    r.files = {file};
    r.checks = {checkGgufHeader(file, lm.network()->named_parameters().size())};
  } else if (o.format == "onnx") {
    const fs::path file = o.out.empty() ? exports / (name + "-" + step + ".onnx") : fs::path(o.out);
    if (file.has_parent_path()) fs::create_directories(file.parent_path());
    const OnnxSignature s = writeClassifierOnnx(loaded, o.format, file, r.files);
    r.checks = {checkOnnxFile(file, s)};
  } else {
    const fs::path dir = o.out.empty() ? exports / "triton" : fs::path(o.out);
    OnnxSignature s;
    fs::path onnx;
    std::vector<fs::path> beside;
    r.files = writeTritonRepository(dir, o.name.empty() ? name : o.name, o.maxBatch, [&](const fs::path& file) {
      onnx = file;
      return s = writeClassifierOnnx(loaded, o.format, file, beside);
    });
    r.files.insert(r.files.end(), beside.begin() + 1, beside.end());  // the graph is listed already
    r.checks = {checkOnnxFile(onnx, s)};
  }
  return r;
}

int exportCommand(const ExportOptions& o) {
  engine::LoadedRun loaded = engine::loadRun(o.target, o.checkpoint, {});
  const ExportResult r = exportModel(o, loaded);
  bool verified = true;
  for (const auto& c : r.checks) verified = verified && c.passed;
  if (o.json) {
    Json files = Json::array(), checks = Json::array();
    for (const auto& f : r.files) files.push_back({{"path", f.string()}, {"bytes", fs::file_size(f)}});
    for (const auto& c : r.checks) checks.push_back({{"check", c.name}, {"passed", c.passed}, {"detail", c.detail}});
    std::printf("%s\n", Json{{"format", o.format}, {"model", engine::modelKind(loaded)}, {"step", loaded.step}, {"files", files},
                             {"checks", checks}, {"verified", verified}}
                            .dump(2)
                            .c_str());
  } else {
    for (const auto& f : r.files) std::printf("%s\n", f.c_str());
    for (const auto& c : r.checks)
      std::fprintf(stderr, "check: %s: %s (%s)\n", c.name.c_str(), c.passed ? "passed" : "FAILED", c.detail.c_str());
  }
  if (!verified)
    throw std::runtime_error("the export was written but does not read back as the model: see the failed check above "
                             "(is the disk full, or the destination written by something else at the same time?)");
  return 0;
}

}  // namespace

void addExportCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<ExportOptions>();
  auto* cmd = app.add_subcommand("export", "Write a trained model in a format other runtimes load");
  cmd->add_option("target", o->target, "Run directory, a checkpoints/step-<N> folder of one, or a .reef bundle")->required();
  cmd->add_option("--format", o->format,
                  "bundle (one .reef file: spec, weights, tokenizer), hf (Hugging Face Llama folder), gguf (llama.cpp), "
                  "onnx (image and text classifiers) or triton (a Triton model repository around the ONNX graph)")
      ->required()
      ->check(CLI::IsMember({"bundle", "hf", "gguf", "onnx", "triton"}));
  cmd->add_option("--checkpoint", o->checkpoint, "best, last, or a step number");
  cmd->add_option("--out", o->out, "Destination (default: under the run's exports/)");
  cmd->add_option("--type", o->type, "GGUF weight type: f32, f16 or q8_0")->check(CLI::IsMember({"f32", "f16", "q8_0"}));
  cmd->add_option("--name", o->name, "Triton model name (default: the spec's exp.name)");
  cmd->add_option("--max-batch", o->maxBatch, "Triton max_batch_size")->check(CLI::Range(1, 1 << 20));
  cmd->add_flag("--json", o->json, "Print the files written and the read-back checks as JSON");
  cmd->callback([o, &status] { status = exportCommand(*o); });
}

}  // namespace reef::exporting
