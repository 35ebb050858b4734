// reef-spm: trains SentencePiece models for `reef tokenizer train`. A separate, torch-free
// program: Debian's libsentencepiece carries its own protobuf, which cannot share a process with
// LibTorch's. Arguments are SentencePiece's own (--input=... --model_prefix=... ...).
#include <sentencepiece_trainer.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  std::string args;
  for (int i = 1; i < argc; ++i) args += (i > 1 ? " " : "") + std::string(argv[i]);
  if (args.empty()) {
    std::fprintf(stderr, "usage: reef-spm --input=FILES --model_prefix=PREFIX [SentencePiece options]\n");
    return 2;
  }
  const auto status = sentencepiece::SentencePieceTrainer::Train(args);
  if (!status.ok()) {
    std::fprintf(stderr, "reef-spm: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
