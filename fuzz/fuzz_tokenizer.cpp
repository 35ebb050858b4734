// Tokenizer models (tokenizer.model, SentencePiece's protobuf) and the text they encode. The first
// byte chooses: odd, the rest is a model file, loaded and used on a few texts; even, the rest is
// text encoded by a real Reef model (fuzz/data/tokenizer.model), which must give it back exactly:
// Reef trains its models with byte fallback and no normalisation so that every text round-trips.
#include "backend/collections/text/tokenizer.h"
#include "fuzz/fuzz_input.h"

using namespace reef;

namespace {

void useLoadedModel(const uint8_t* data, size_t size) {
  text::Tokenizer tokenizer;
  try {
    tokenizer = text::Tokenizer::load(fuzz::asFile(data, size, ".model"));
  } catch (const std::exception&) {
    return;
  }
  for (const std::string sample : {"In the beginning", " two  spaces ", "caf\xc3\xa9 \xe2\x96\x81", "\xff\xfe", ""}) {
    const std::vector<int> ids = tokenizer.encode(sample);
    for (int id : ids) {
      if (id < 0 || id >= tokenizer.vocabSize()) fuzz::finding("encode gave id " + std::to_string(id));
      tokenizer.tokenText(id);
    }
    tokenizer.decode(ids);
  }
}

void roundTrip(const std::string& input) {
  static const text::Tokenizer tokenizer = text::Tokenizer::load(REEF_FUZZ_TOKENIZER_MODEL);
  // "▁" is how SentencePiece writes a space inside pieces: one in the text comes back as a space.
  if (input.find("\xe2\x96\x81") != std::string::npos) return;
  const std::vector<int> ids = tokenizer.encode(input);
  std::string streamed;
  for (int id : ids) streamed += tokenizer.tokenText(id);
  const std::string decoded = tokenizer.decode(ids);
  if (decoded != input) fuzz::finding("decode(encode(text)) differs: '" + decoded + "'");
  // A stream of token texts is the decoded text, with the dummy prefix's space in front.
  if (streamed != decoded && streamed != " " + decoded) fuzz::finding("token texts differ from decode: " + streamed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1)
    useLoadedModel(data + 1, size - 1);
  else
    roundTrip(fuzz::text(data + 1, size - 1));
  return 0;
}
