#pragma once
// The catalog: every collection and model the engine knows, with the schema of every spec
// section. The engine builds it from its registry; the studio reads it from `reef catalog --json`.
#include "backend/protocol/schema.h"

#include <string>
#include <utility>
#include <vector>

namespace reef::protocol {

// The studio's sample views, named by the catalog's capabilities (artifacts' view, views).
namespace views {
inline constexpr const char* kConfusionMatrix = "confusion_matrix";      // confusion_matrix artifact
inline constexpr const char* kImagePredictions = "image_predictions";    // images with their predictions
inline constexpr const char* kTextPredictions = "text_predictions";      // texts, errors first
inline constexpr const char* kRestoredText = "restored_text";            // words with marks and capitals
inline constexpr const char* kTranscriptions = "transcriptions";         // recognized speech, word errors marked
inline constexpr const char* kSynthesizedSpeech = "synthesized_speech";  // synthesized sentences to listen to
inline constexpr const char* kRetrieval = "retrieval";                   // search a checkpoint's images by text
}  // namespace views

// Which studio view shows an artifact kind that a model's evaluations write.
struct ArtifactView {
  std::string kind;  // the artifact event's kind, e.g. "confusion_matrix"
  std::string view;  // the studio's sample view, e.g. "confusion_matrix", "speech"
};

// What a model can do beyond training, declared by its collection: the studio, `reef export` and
// `reef serve` read these instead of knowing collections by name.
struct ModelCapabilities {
  std::vector<std::string> exportFormats;  // "bundle" always; then the collection's exporters
  // chat | image_classification | text_classification | transcription | speech | embedding |
  // captioning | punctuation | none
  std::string serving = "none";
  std::vector<ArtifactView> artifacts;
  std::vector<std::string> views;  // sample views that need a checkpoint, not an artifact ("retrieval")
  std::string evalSplit = "test";  // the split `reef eval` uses by default
};

struct ModelInfo {
  std::string arch;
  std::string description;
  Section params;  // keys of the spec's `model` section besides `collection` and `arch`
  ModelCapabilities capabilities;
};

struct CollectionInfo {
  std::string name;
  std::string description;
  Section data;  // keys of the spec's `data` section
  std::vector<ModelInfo> models;
};

struct Catalog {
  std::string engineVersion;
  // Sections every spec shares (trainer, optim, exp), in the order a spec lists them.
  std::vector<std::pair<std::string, Section>> sections;
  std::vector<CollectionInfo> collections;

  const CollectionInfo* collection(const std::string& name) const;
  const ModelInfo* model(const std::string& collection, const std::string& arch) const;
  const Section* section(const std::string& name) const;

  Json toJson() const;
  static Catalog fromJson(const Json& json);
};

}  // namespace reef::protocol
