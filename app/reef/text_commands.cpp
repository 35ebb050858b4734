// `reef tokenizer train` and `reef data prepare-text`: the LLM collection's corpus tools.
#include "app/reef/commands.h"
#include "backend/collections/text/token_shards.h"
#include "backend/collections/text/tokenizer.h"
#include "backend/protocol/subprocess.h"

#include <cstdio>
#include <cstdlib>

namespace fs = std::filesystem;

namespace reef::app {

void addTextCommands(CLI::App& app, int& status) {
  auto training = std::make_shared<text::TokenizerTraining>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto* tokenizer = app.add_subcommand("tokenizer", "Train tokenizers");
  tokenizer->require_subcommand(1);
  auto* train = tokenizer->add_subcommand("train", "Train a SentencePiece BPE tokenizer (byte fallback) on text files");
  train->add_option("--input", *inputs, "Text files, one sentence per line")->required()->allow_extra_args(false);
  train->add_option("--vocab-size", training->vocabSize, "Vocabulary size")->check(CLI::Range(260, 1 << 20));
  train->add_option("--out", training->output, "Where to write tokenizer.model")->required();
  train->add_option("--max-sentences", training->maxSentences, "Sentences sampled for training");
  train->callback([training, inputs, &status] {
    training->inputs.assign(inputs->begin(), inputs->end());
    for (const auto& in : training->inputs)
      if (!fs::exists(in)) throw std::runtime_error("tokenizer training input '" + in.string() + "' does not exist");
    if (training->output.extension() != ".model") training->output += ".model";
    if (!training->output.parent_path().empty()) fs::create_directories(training->output.parent_path());
    // SentencePiece trains in reef-spm, beside this program (see backend/collections/text/tokenizer.h for why).
    const fs::path helper = fs::read_symlink("/proc/self/exe").parent_path() / "reef-spm";
    if (!fs::exists(helper))
      throw std::runtime_error("'" + helper.string() + "' is missing: build the reef-spm target");
    std::vector<std::string> argv = {helper.string()};
    for (const auto& [flag, value] : text::sentencePieceTrainingOptions(*training))
      argv.push_back("--" + flag + "=" + value);
    if (protocol::runProgram(argv) != 0) throw std::runtime_error("tokenizer training failed (see the messages above)");
    const auto t = text::Tokenizer::load(training->output);
    std::printf("tokenizer: %d pieces in %s\n", t.vocabSize(), t.path().c_str());
    status = 0;
  });

  auto prep = std::make_shared<text::TextPreparation>();
  auto prepInputs = std::make_shared<std::vector<std::string>>();
  auto* data = app.add_subcommand("data", "Prepare datasets");
  data->require_subcommand(1);
  auto* text = data->add_subcommand("prepare-text", "Tokenize text or JSON-lines into train/val token shards");
  text->add_option("--input", *prepInputs, "Text files (documents separated by blank lines) or .jsonl files")
      ->required()
      ->allow_extra_args(false);
  text->add_option("--field", prep->jsonField, "JSON-lines field holding the document");
  text->add_option("--tokenizer", prep->tokenizer, "tokenizer.model")->required();
  text->add_option("--out", prep->output, "Output folder")->required();
  text->add_option("--val-fraction", prep->valFraction, "Share of documents held out")->check(CLI::Range(0.0001, 0.5));
  text->callback([prep, prepInputs, &status] {
    prep->inputs.assign(prepInputs->begin(), prepInputs->end());
    const Json meta = text::prepareText(*prep);
    std::printf(
        "prepared %s: %lld training tokens (%lld documents), %lld validation tokens (%lld documents), vocabulary %d\n",
        prep->output.c_str(), static_cast<long long>(meta["train_tokens"].get<int64_t>()),
        static_cast<long long>(meta["train_documents"].get<int64_t>()),
        static_cast<long long>(meta["val_tokens"].get<int64_t>()),
        static_cast<long long>(meta["val_documents"].get<int64_t>()), meta["vocab_size"].get<int>());
    status = 0;
  });
}

}  // namespace reef::app
