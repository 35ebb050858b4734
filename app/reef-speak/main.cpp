// reef-speak: speaks many sentences with espeak-ng in one process, for the speech corpus
// (resources/data/speech_corpus.js). Reads JSON lines {"text", "voice", "speed", "pitch", "out"}
// on stdin and writes each as a 16 kHz mono 16-bit WAV, 1 dB below espeak-ng's level (headroom
// for the resampler). One process serves thousands of sentences: starting the espeak-ng program
// per sentence cost more than the speech itself (26 ms of 28 ms per sentence here).
#include "backend/protocol/audio/audio_file.h"
#include "backend/protocol/json.h"

#include <espeak-ng/speak_lib.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::vector<float> spoken;  // the sentence being synthesized, filled by the callback

int collect(short* wave, int count, espeak_EVENT*) {
  for (int i = 0; wave && i < count; ++i) spoken.push_back(static_cast<float>(wave[i]) / 32768.0f);
  return 0;  // go on
}

// Speaks one sentence; an empty string when it worked, else what failed.
std::string speak(const reef::Json& line, int espeakRate) {
  const std::string text = line.at("text").get<std::string>();
  const std::string voice = line.at("voice").get<std::string>();
  if (espeak_SetVoiceByName(voice.c_str()) != EE_OK) return "espeak-ng has no voice '" + voice + "'";
  espeak_SetParameter(espeakRATE, line.value("speed", 175), 0);
  espeak_SetParameter(espeakPITCH, line.value("pitch", 50), 0);
  spoken.clear();
  if (espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_AUTO | espeakENDPAUSE, nullptr,
                   nullptr) != EE_OK ||
      espeak_Synchronize() != EE_OK)
    return "espeak-ng could not speak \"" + text + "\"";
  std::vector<float> samples =
      reef::protocol::audio::resample(spoken, espeakRate, 16000, reef::protocol::audio::ResampleQuality::Medium);
  const float gain = std::pow(10.0f, -1.0f / 20.0f);
  for (float& s : samples) s *= gain;
  reef::protocol::audio::writeWav(line.at("out").get<std::string>(), samples, 16000);
  return {};
}

}  // namespace

int main() {
  const int espeakRate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, 0);
  if (espeakRate <= 0) {
    std::fprintf(stderr, "reef-speak: espeak-ng did not start (is espeak-ng-data installed?)\n");
    return 1;
  }
  espeak_SetSynthCallback(collect);
  std::string text;
  for (int number = 1; std::getline(std::cin, text); ++number) {
    if (text.empty()) continue;
    std::string error;
    try {
      error = speak(reef::Json::parse(text), espeakRate);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty()) {
      std::fprintf(stderr, "reef-speak: line %d: %s\n", number, error.c_str());
      return 1;
    }
  }
  espeak_Terminate();
  return 0;
}
