// `reef caption RUN_OR_BUNDLE IMAGE...`: captions written by a trained multimodal/captioner.
#include "app/reef/commands.h"
#include "backend/collections/collections.h"
#include "backend/collections/multimodal/captioner_model.h"
#include "backend/collections/multimodal/image_loading.h"
#include "backend/engine/trainer/loaded_run.h"

#include <cstdio>

namespace reef::app {

namespace {

struct CaptionOptions {
  std::string target, checkpoint = "best";
  std::vector<std::string> images;
  bool json = false;
};

int captionCommand(const CaptionOptions& o) {
  engine::LoadedRun loaded = engine::loadRun(collections::builtinRegistry(), o.target, o.checkpoint, {});
  auto& model =
      engine::modelAs<multimodal::CaptionerModel>(loaded, "caption", "a multimodal/captioner model", o.target);
  model.module().eval();
  std::vector<torch::Tensor> images;
  for (const auto& file : o.images) images.push_back(multimodal::loadImageFile(file, model.settings().imageSize));
  const auto captions = model.caption(torch::stack(images));
  Json out = Json::array();
  for (size_t i = 0; i < captions.size(); ++i) {
    if (o.json)
      out.push_back({{"image", o.images[i]}, {"caption", captions[i]}});
    else if (o.images.size() == 1)
      std::printf("%s\n", captions[i].c_str());
    else
      std::printf("%s\t%s\n", o.images[i].c_str(), captions[i].c_str());
  }
  if (o.json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace

void addCaptionCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<CaptionOptions>();
  auto* cmd = app.add_subcommand("caption", "Caption images with a trained multimodal/captioner model");
  cmd->add_option("target", o->target, "Run directory, a checkpoints/step-<N> folder of one, or a .reef bundle")
      ->required();
  cmd->add_option("images", o->images, "PNG or JPEG files (any size: resized as in training)")->required();
  cmd->add_option("--checkpoint", o->checkpoint, "best, last, or a step number");
  cmd->add_flag("--json", o->json, "Print [{image, caption}] as JSON");
  cmd->callback([o, &status] { status = captionCommand(*o); });
}

}  // namespace reef::app
