// `reef retrieve RUN_OR_BUNDLE --query TEXT`: the images of a split a trained multimodal/clip
// model finds most similar to a text; --json adds each image as a PNG (the studio's grid).
#include "app/reef/commands.h"
#include "backend/collections/collections.h"
#include "backend/collections/multimodal/clip_model.h"
#include "backend/collections/multimodal/image_loading.h"
#include "backend/engine/trainer/loaded_run.h"
#include "backend/protocol/base64.h"

#include <cstdio>

namespace reef::app {

namespace {

struct RetrieveOptions {
  std::string target, checkpoint = "best", query, split = "test";
  int64_t top = 12;
  bool json = false;
};

int retrieveCommand(const RetrieveOptions& o) {
  engine::LoadedRun loaded = engine::loadRun(collections::builtinRegistry(), o.target, o.checkpoint, {});
  auto& model = engine::modelAs<multimodal::ClipModel>(loaded, "retrieve", "a multimodal/clip model", o.target);
  const engine::Split split = o.split == "train" ? engine::Split::Train
                              : o.split == "val" ? engine::Split::Val
                                                 : engine::Split::Test;
  const auto matches = model.search(o.query, split, o.top);
  const auto& items = model.split(split).items();
  Json results = Json::array();
  for (size_t rank = 0; rank < matches.size(); ++rank) {
    const auto& m = matches[rank];
    const auto& item = items[static_cast<size_t>(m.item)];
    const std::string image = item.image.string() + (item.index >= 0 ? "#" + std::to_string(item.index) : "");
    if (!o.json) {
      std::printf("%2zu  %.3f  %-40s  %s\n", rank + 1, m.score, item.text.c_str(), image.c_str());
      continue;
    }
    results.push_back({{"rank", rank + 1},
                       {"score", m.score},
                       {"text", item.text},
                       {"source", item.source},
                       {"image", image},
                       {"png", protocol::encodeBase64(multimodal::encodePng(model.split(split).image(m.item)))}});
  }
  if (o.json) std::printf("%s\n", Json{{"query", o.query}, {"split", o.split}, {"results", results}}.dump().c_str());
  return 0;
}

}  // namespace

void addRetrieveCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<RetrieveOptions>();
  auto* cmd = app.add_subcommand("retrieve",
                                 "Find the images of a split that a trained multimodal/clip model matches to a text");
  cmd->add_option("target", o->target,
                  "Run directory or a checkpoints/step-<N> folder of one (its data must be at hand)")
      ->required();
  cmd->add_option("--query", o->query, "The text to search for, e.g. \"a photo of a red heart\"")->required();
  cmd->add_option("--split", o->split, "Which split's images to search")
      ->check(CLI::IsMember({"train", "val", "test"}));
  cmd->add_option("--top", o->top, "How many images to return")->check(CLI::Range(1, 1000));
  cmd->add_option("--checkpoint", o->checkpoint, "best, last, or a step number");
  cmd->add_flag("--json", o->json, "Print {query, split, results: [{rank, score, text, source, image, png}]} as JSON");
  cmd->callback([o, &status] { status = retrieveCommand(*o); });
}

}  // namespace reef::app
