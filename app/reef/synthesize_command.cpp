// `reef synthesize RUN_OR_BUNDLE --text ... --out file.wav`: text to speech with a trained tts
// model (FastPitch and Griffin-Lim).
#include "app/reef/commands.h"
#include "backend/collections/collections.h"
#include "backend/collections/tts/tts_model.h"
#include "backend/engine/trainer/loaded_run.h"
#include "backend/protocol/audio/audio_file.h"

#include <cstdio>
#include <iostream>
#include <iterator>

namespace reef::app {

namespace {

struct SynthesizeOptions {
  std::string target, checkpoint = "best", text, out;
  double pace = 1.0;
};

int synthesizeCommand(const SynthesizeOptions& o) {
  engine::LoadedRun loaded = engine::loadRun(collections::builtinRegistry(), o.target, o.checkpoint, {});
  auto& model = engine::modelAs<tts::TtsModel>(loaded, "synthesize", "a tts model", o.target);
  std::string text = o.text;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
  const auto samples = model.synthesize(text, o.pace);
  protocol::audio::writeWav(o.out, samples, model.sampleRate());
  std::printf("%s: %.2f s at %d Hz\n", o.out.c_str(), static_cast<double>(samples.size()) / model.sampleRate(),
              model.sampleRate());
  return 0;
}

}  // namespace

void addSynthesizeCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<SynthesizeOptions>();
  auto* cmd = app.add_subcommand("synthesize", "Text to speech with a trained tts model, written as a WAV file");
  cmd->add_option("target", o->target, "Run directory, a checkpoints/step-<N> folder of one, or a .reef bundle")
      ->required();
  cmd->add_option("--text", o->text, "What to say; - reads stdin")->required();
  cmd->add_option("--out", o->out, "The WAV file to write (16-bit PCM)")->required();
  cmd->add_option("--pace", o->pace, "Speaking rate: above 1 faster, below 1 slower")->check(CLI::Range(0.25, 4.0));
  cmd->add_option("--checkpoint", o->checkpoint, "best, last, or a step number");
  cmd->callback([o, &status] { status = synthesizeCommand(*o); });
}

}  // namespace reef::app
