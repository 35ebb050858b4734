// `reef punctuate RUN_OR_BUNDLE --text ...`: punctuation and capitals restored to a text.
#include "app/reef/commands.h"
#include "backend/collections/collections.h"
#include "backend/collections/nlp/punctuation_model.h"
#include "backend/engine/trainer/loaded_run.h"

#include <cstdio>
#include <iostream>
#include <iterator>

namespace reef::app {

namespace {

struct PunctuateOptions {
  std::string target, checkpoint = "best", text;
};

int punctuateCommand(const PunctuateOptions& o) {
  engine::LoadedRun loaded = engine::loadRun(collections::builtinRegistry(), o.target, o.checkpoint, {});
  auto& model = engine::modelAs<nlp::PunctuationModel>(loaded, "punctuate", "an nlp/punctuation model", o.target);
  std::string text = o.text;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
  std::printf("%s\n", model.restore(text).c_str());
  return 0;
}

}  // namespace

void addPunctuateCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<PunctuateOptions>();
  auto* cmd =
      app.add_subcommand("punctuate", "Restore punctuation and capitals to text with a trained nlp/punctuation model");
  cmd->add_option("target", o->target, "Run directory, a checkpoints/step-<N> folder of one, or a .reef bundle")
      ->required();
  // Positional too, so that `reef punctuate RUN -` reads stdin as `--text -` does.
  cmd->add_option("text,--text", o->text,
                  "The text (any punctuation and capitals it has are dropped first); - reads stdin")
      ->required();
  cmd->add_option("--checkpoint", o->checkpoint, "best, last, or a step number");
  cmd->callback([o, &status] { status = punctuateCommand(*o); });
}

}  // namespace reef::app
