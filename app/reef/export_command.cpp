// `reef export RUN_OR_BUNDLE --format FORMAT`: a trained model as one file Reef's deployment
// consumes, or in the layouts other runtimes load; every file is read back and checked against the
// model before the command succeeds. The formats come from the catalog.
#include "app/reef/commands.h"
#include "backend/collections/collections.h"
#include "backend/export/model_export.h"

#include <cstdio>
#include <memory>
#include <set>

namespace fs = std::filesystem;

namespace reef::app {

namespace {

struct ExportCommandOptions {
  std::string target, checkpoint = "best";
  exporting::ExportOptions exporting;
  bool json = false;
};

// Every format some model of this engine exports.
std::vector<std::string> knownFormats() {
  std::set<std::string> formats;
  for (const auto& c : collections::builtinRegistry().collections())
    for (const auto& m : c.models)
      formats.insert(m.capabilities.exportFormats.begin(), m.capabilities.exportFormats.end());
  return {formats.begin(), formats.end()};
}

void printResult(const ExportCommandOptions& o, const engine::LoadedRun& loaded, const engine::ExportedModel& r,
                 bool verified) {
  if (o.json) {
    Json files = Json::array(), checks = Json::array();
    for (const auto& f : r.files) files.push_back({{"path", f.string()}, {"bytes", fs::file_size(f)}});
    for (const auto& c : r.checks) checks.push_back({{"check", c.name}, {"passed", c.passed}, {"detail", c.detail}});
    const Json out = {{"format", o.exporting.format},
                      {"model", engine::modelKind(loaded)},
                      {"step", loaded.step},
                      {"files", files},
                      {"checks", checks},
                      {"verified", verified}};
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  for (const auto& f : r.files) std::printf("%s\n", f.c_str());
  for (const auto& c : r.checks)
    std::fprintf(stderr, "check: %s: %s (%s)\n", c.name.c_str(), c.passed ? "passed" : "FAILED", c.detail.c_str());
}

int exportCommand(const ExportCommandOptions& o) {
  const engine::Registry& registry = collections::builtinRegistry();
  engine::LoadedRun loaded = engine::loadRun(registry, o.target, o.checkpoint, {});
  const engine::ExportedModel r = exporting::exportModel(registry, loaded, o.exporting);
  bool verified = true;
  for (const auto& c : r.checks) verified = verified && c.passed;
  printResult(o, loaded, r, verified);
  if (!verified)
    throw std::runtime_error(
        "the export was written but does not read back as the model: see the failed check above "
        "(is the disk full, or the destination written by something else at the same time?)");
  return 0;
}

}  // namespace

void addExportCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<ExportCommandOptions>();
  const std::vector<std::string> formats = knownFormats();
  std::string list;
  for (const auto& f : formats) list += (list.empty() ? "" : ", ") + f;
  auto* cmd = app.add_subcommand("export", "Write a trained model in a format other runtimes load");
  cmd->add_option("target", o->target, "Run directory, a checkpoints/step-<N> folder of one, or a .reef bundle")
      ->required();
  cmd->add_option("--format", o->exporting.format,
                  "One of the model's formats (`reef catalog --json`: capabilities.export_formats): " + list +
                      ". bundle: one .reef file (spec, weights, tokenizer) every model has")
      ->required()
      ->check(CLI::IsMember(formats));
  cmd->add_option("--checkpoint", o->checkpoint, "best, last, or a step number");
  cmd->add_option("--out", o->exporting.out, "Destination (default: under the run's exports/)");
  cmd->add_option("--type", o->exporting.weightType, "GGUF weight type: f32, f16 or q8_0")
      ->check(CLI::IsMember({"f32", "f16", "q8_0"}));
  cmd->add_option("--name", o->exporting.name, "Model name in the files, e.g. Triton's (default: the spec's exp.name)");
  cmd->add_option("--max-batch", o->exporting.maxBatch, "Triton max_batch_size")->check(CLI::Range(1, 1 << 20));
  cmd->add_flag("--json", o->json, "Print the files written and the read-back checks as JSON");
  cmd->callback([o, &status] { status = exportCommand(*o); });
}

}  // namespace reef::app
