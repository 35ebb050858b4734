// `reef export RUN_OR_BUNDLE --format bundle|hf|gguf|onnx|triton`: a trained model as one file
// Reef's deployment consumes, or in the layouts other runtimes load.
#include "export_command.h"

#include "cli/commands.h"
#include "cli/run_loading.h"
#include "formats/llama_formats.h"
#include "formats/vision_formats.h"

#include <cstdio>
#include <memory>

namespace fs = std::filesystem;

namespace reef::exporting {

namespace {

struct ExportOptions {
  std::string target, checkpoint = "best", format, out, type = "f16", name;
  int64_t maxBatch = 64;
};

llm::CausalLM& languageModel(engine::LoadedRun& loaded, const std::string& format) {
  auto* lm = dynamic_cast<llm::CausalLM*>(loaded.model.get());
  if (!lm)
    throw std::runtime_error("--format " + format + " exports language models; this run is a " +
                             loaded.spec["model"]["collection"].get<std::string>() + "/" +
                             loaded.spec["model"]["arch"].get<std::string>() + " model");
  lm->module().to(torch::kCPU);
  return *lm;
}

vision::ImageClassifier& classifier(engine::LoadedRun& loaded, const std::string& format) {
  auto* c = dynamic_cast<vision::ImageClassifier*>(loaded.model.get());
  if (!c)
    throw std::runtime_error("--format " + format + " exports image classifiers; this run is a " +
                             loaded.spec["model"]["collection"].get<std::string>() + "/" +
                             loaded.spec["model"]["arch"].get<std::string>() +
                             " model (language models export as --format gguf or hf)");
  c->to(torch::kCPU);
  return *c;
}

int exportCommand(const ExportOptions& o) {
  engine::LoadedRun loaded = engine::loadRun(o.target, o.checkpoint, {});
  const std::string step = "step-" + std::to_string(loaded.step);
  const std::string name = loaded.spec["exp"]["name"].get<std::string>();
  // Beside a bundle, or in the run's exports/.
  const fs::path exports = loaded.bundle.empty() ? loaded.run.exports() : loaded.bundle.parent_path();
  if (o.format == "bundle") {
    const fs::path file = o.out.empty() ? exports / (name + "-" + step + ".reef") : fs::path(o.out);
    engine::writeBundleOf(loaded, file);
    std::printf("%s\n", file.c_str());
    return 0;
  }
  if (o.format == "hf") {
    const fs::path dir = o.out.empty() ? exports / ("hf-" + step) : fs::path(o.out);
    for (const auto& f : writeHuggingFaceLlama(languageModel(loaded, o.format), dir)) std::printf("%s\n", f.c_str());
    return 0;
  }
  if (o.format == "onnx") {
    const fs::path file = o.out.empty() ? exports / (name + "-" + step + ".onnx") : fs::path(o.out);
    writeVisionOnnx(classifier(loaded, o.format), loaded.spec, file);
    std::printf("%s\n", file.c_str());
    return 0;
  }
  if (o.format == "triton") {
    const fs::path dir = o.out.empty() ? exports / "triton" : fs::path(o.out);
    auto& model = classifier(loaded, o.format);
    for (const auto& f : writeTritonRepository(dir, o.name.empty() ? name : o.name, o.maxBatch, [&](const fs::path& file) {
           return writeVisionOnnx(model, loaded.spec, file);
         }))
      std::printf("%s\n", f.c_str());
    return 0;
  }
  const GgmlType type = o.type == "f32" ? GgmlType::F32 : o.type == "f16" ? GgmlType::F16 : GgmlType::Q8_0;
  fs::path file = o.out.empty() ? exports / (name + "-" + step + "-" + o.type + ".gguf") : fs::path(o.out);
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  writeLlamaGguf(languageModel(loaded, o.format), file, type, name);
  std::printf("%s\n", file.c_str());
  return 0;
}

}  // namespace

void addExportCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<ExportOptions>();
  auto* cmd = app.add_subcommand("export", "Write a trained model in a format other runtimes load");
  cmd->add_option("target", o->target, "Run directory, a checkpoints/step-<N> folder of one, or a .reef bundle")->required();
  cmd->add_option("--format", o->format,
                  "bundle (one .reef file: spec, weights, tokenizer), hf (Hugging Face Llama folder), gguf (llama.cpp), "
                  "onnx (image classifiers) or triton (a Triton model repository around the ONNX graph)")
      ->required()
      ->check(CLI::IsMember({"bundle", "hf", "gguf", "onnx", "triton"}));
  cmd->add_option("--checkpoint", o->checkpoint, "best, last, or a step number");
  cmd->add_option("--out", o->out, "Destination (default: under the run's exports/)");
  cmd->add_option("--type", o->type, "GGUF weight type: f32, f16 or q8_0")->check(CLI::IsMember({"f32", "f16", "q8_0"}));
  cmd->add_option("--name", o->name, "Triton model name (default: the spec's exp.name)");
  cmd->add_option("--max-batch", o->maxBatch, "Triton max_batch_size")->check(CLI::Range(1, 1 << 20));
  cmd->callback([o, &status] { status = exportCommand(*o); });
}

}  // namespace reef::exporting
