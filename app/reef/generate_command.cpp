// `reef generate RUN_OR_BUNDLE --prompt ...`: text from a trained LLM, streamed to stdout.
#include "app/reef/commands.h"
#include "backend/collections/collections.h"
#include "backend/collections/llm/causal_lm.h"
#include "backend/collections/llm/generation.h"
#include "backend/engine/trainer/loaded_run.h"

#include <cstdio>

namespace reef::app {

namespace {

struct GenerateOptions {
  std::string target, checkpoint = "best", prompt;
  llm::SamplingOptions sampling;
  bool noCache = false, json = false;
};

int generateCommand(GenerateOptions& o) {
  engine::LoadedRun loaded = engine::loadRun(collections::builtinRegistry(), o.target, o.checkpoint, {});
  auto& lm = engine::modelAs<llm::CausalLM>(loaded, "generate", "a language model", o.target);
  o.sampling.useCache = !o.noCache;
  if (!o.json) std::printf("%s", o.prompt.c_str());
  const llm::GenerationResult r =
      llm::generate(lm.network(), lm.tokenizer(), o.prompt, o.sampling, [&](const std::string& piece) {
        if (!o.json) {
          std::fputs(piece.c_str(), stdout);
          std::fflush(stdout);
        }
        return true;
      });
  // The decoding speed is read from the first token on: the first includes the prompt and the
  // kernels oneDNN generates at a process's first call (about 45 ms for the KJV example here).
  const double decoding = r.seconds - r.firstTokenSeconds;
  const double rate = r.tokens.size() > 1 && decoding > 0 ? static_cast<double>(r.tokens.size() - 1) / decoding : 0.0;
  if (o.json) {
    const Json out = {{"prompt", o.prompt},           {"text", r.text},
                      {"tokens", r.tokens},           {"prompt_tokens", r.promptTokens.size()},
                      {"prompt_ids", r.promptTokens}, {"finish_reason", r.finishReason},
                      {"seconds", r.seconds},         {"first_token_s", r.firstTokenSeconds},
                      {"tokens_per_s", rate},         {"checkpoint", loaded.step}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("\n");
    std::fprintf(stderr, "[%zu tokens in %.2f s: the first after %.0f ms, then %.1f tokens/s, %s]\n", r.tokens.size(),
                 r.seconds, 1000 * r.firstTokenSeconds, rate, r.finishReason.c_str());
  }
  return 0;
}

}  // namespace

void addGenerateCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<GenerateOptions>();
  auto* cmd = app.add_subcommand("generate", "Generate text with a trained language model");
  cmd->add_option("target", o->target, "Run directory, a checkpoints/step-<N> folder of one, or a .reef bundle")
      ->required();
  cmd->add_option("--prompt", o->prompt, "Text to continue")->required();
  cmd->add_option("--checkpoint", o->checkpoint, "best, last, or a step number");
  cmd->add_option("--max-tokens", o->sampling.maxTokens, "Tokens to generate at most")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--temperature", o->sampling.temperature, "0 is greedy")->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--top-k", o->sampling.topK, "Sample among the k most likely tokens (0: all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--top-p", o->sampling.topP, "Sample among the most likely tokens holding this much probability")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--repetition-penalty", o->sampling.repetitionPenalty, "Divide the logits of tokens already seen")
      ->check(CLI::Range(0.01, 100.0));
  cmd->add_option("--stop", o->sampling.stop, "Stop at this text (repeatable)")->allow_extra_args(false);
  cmd->add_option("--seed", o->sampling.seed, "Sampling seed");
  cmd->add_flag("--no-cache", o->noCache, "Recompute the whole sequence for every token (slow; for comparison)");
  cmd->add_flag("--json", o->json, "Print the result as JSON instead of streaming the text");
  cmd->callback([o, &status] { status = generateCommand(*o); });
}

}  // namespace reef::app
