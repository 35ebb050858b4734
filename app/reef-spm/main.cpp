// reef-spm: trains SentencePiece models for `reef tokenizer train`. A separate, torch-free
// program: Debian's libsentencepiece carries its own protobuf, which cannot share a process with
// LibTorch's. Arguments are SentencePiece's own (--input=... --model_prefix=... ...).
#include <sentencepiece_trainer.h>

#include <cstdio>
#include <string>
#include <unordered_map>

int main(int argc, char** argv) {
  // Each argument is one --flag=value, passed on whole: a path may hold spaces.
  std::unordered_map<std::string, std::string> options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto equals = arg.find('=');
    if (arg.rfind("--", 0) != 0 || equals == std::string::npos) {
      std::fprintf(stderr, "reef-spm: '%s' is not --flag=value\n", arg.c_str());
      return 2;
    }
    options[arg.substr(2, equals - 2)] = arg.substr(equals + 1);
  }
  if (options.empty()) {
    std::fprintf(stderr, "usage: reef-spm --input=FILES --model_prefix=PREFIX [SentencePiece options]\n");
    return 2;
  }
  const auto status = sentencepiece::SentencePieceTrainer::Train(options);
  if (!status.ok()) {
    std::fprintf(stderr, "reef-spm: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
