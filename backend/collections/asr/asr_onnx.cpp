// The acoustic networks written out layer by layer from their weights (eval mode: dropout gone,
// batch norm on its running statistics). The networks zero padding frames after each layer (and
// the Conformer keeps them out of attention); the graph has no lengths, so it computes exactly
// what the network computes on utterances without padding: one utterance, or a batch of equally
// long ones.
#include "backend/collections/asr/asr_onnx.h"

#include "backend/collections/asr/asr_model.h"
#include "backend/collections/asr/conformer.h"
#include "backend/collections/asr/quartznet.h"
#include "backend/export/onnx/onnx_check.h"
#include "backend/export/onnx/onnx_layers.h"
#include "backend/protocol/atomic_file.h"

#include <cmath>
#include <stdexcept>

namespace reef::asr {

namespace {

class QuartzNetGraph : public exporting::OnnxLayers {
 public:
  using OnnxLayers::OnnxLayers;

  // Depthwise over time (stride `stride`, same padding), pointwise over channels, batch norm.
  std::string separable(const std::string& x, const std::string& name, int64_t stride) {
    const torch::Tensor depthwise = weight(name + "_depthwise.weight");  // [C, 1, k]
    const std::string y = conv(x, name + "_depthwise", stride, depthwise.size(2) / 2, depthwise.size(0));
    return batchNorm(conv(y, name + "_pointwise", 1, 0), name + "_norm");
  }

  // [B, n_mels, F] -> logits [B, C, F']
  std::string network(const std::string& features) {
    std::string x = relu(separable(features, "prologue", 2));
    for (int64_t b = 0; has(block(b, 0) + "_depthwise.weight"); ++b) {
      const std::string input = x;
      for (int64_t r = 0; has(block(b, r) + "_depthwise.weight"); ++r) {
        x = separable(x, block(b, r), 1);
        if (!has(block(b, r + 1) + "_depthwise.weight")) {
          const std::string residual = "block" + std::to_string(b) + "_residual";
          x = graph().node("Add", {x, batchNorm(conv(input, residual, 1, 0), residual + "_norm")});
        }
        x = relu(x);
      }
    }
    x = relu(batchNorm(conv(x, "epilogue", 1, 0), "epilogue_norm"));
    return conv(x, "classifier", 1, 0);
  }

 private:
  static std::string block(int64_t b, int64_t r) { return "block" + std::to_string(b) + "_" + std::to_string(r); }
};

const std::vector<int64_t> kSwapLast{0, 2, 1};

// Conformer-CTC: convolutional subsampling, scaled input plus sinusoids, blocks of half-step
// feed-forward, self-attention, convolution module and half-step feed-forward, a linear classifier.
class ConformerGraph : public exporting::OnnxLayers {
 public:
  ConformerGraph(torch::nn::Module& network, exporting::OnnxGraph& g, int64_t heads)
      : OnnxLayers(network, g), heads_(heads) {}

  // [B, n_mels, F] -> logits [B, F', labels]
  std::string network(const std::string& features) {
    exporting::OnnxGraph& g = graph();
    std::string x = g.node("Unsqueeze", {g.node("Transpose", {features}, {{"perm", kSwapLast}}), g.ints("axis", {1})});
    x = relu(conv(x, "subsample1", 2, 1));
    if (has("subsample2.weight")) x = relu(conv(x, "subsample2", 2, 1));
    // [B, C, F', M'] -> [B, F', C * M']
    x = g.node("Transpose", {x}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
    x = linear(g.node("Reshape", {x, g.ints("shape", {0, 0, -1})}), "subsample_proj");
    const int64_t dim = weight("classifier.weight").size(1);
    const std::string scale = g.constant("scale", torch::tensor(static_cast<float>(std::sqrt(double(dim)))));
    x = g.node("Add", {g.node("Mul", {x, scale}), sinusoids(x, dim)});
    for (int64_t i = 0; has("blocks." + std::to_string(i) + ".qkv.weight"); ++i)
      x = block(x, "blocks." + std::to_string(i));
    return linear(x, "classifier");
  }

 private:
  std::string silu(const std::string& x) { return graph().node("Mul", {x, graph().node("Sigmoid", {x})}); }

  // x + ff(x) / 2, ff = norm (.0), linear (.1), SiLU, linear (.4).
  std::string halfFeedForward(const std::string& x, const std::string& p) {
    const std::string y = linear(silu(linear(layerNorm(x, p + ".0"), p + ".1")), p + ".4");
    return graph().node("Add", {x, graph().node("Mul", {y, graph().constant("half", torch::tensor(0.5f))})});
  }

  // On x [B, F', D]: norm, pointwise to 2D channels and GLU, depthwise, batch norm, SiLU, pointwise.
  std::string convolution(const std::string& x, const std::string& p) {
    exporting::OnnxGraph& g = graph();
    const int64_t d = weight(p + ".conv_pointwise2.weight").size(0);
    const int64_t kernel = weight(p + ".conv_depthwise.weight").size(2);
    const std::string y = conv(g.node("Transpose", {layerNorm(x, p + ".conv_norm")}, {{"perm", kSwapLast}}),
                               p + ".conv_pointwise1", 1, 0);
    const std::string a = g.node("Slice", {y, g.ints("start", {0}), g.ints("end", {d}), g.ints("axis", {1})});
    const std::string b = g.node("Slice", {y, g.ints("start", {d}), g.ints("end", {2 * d}), g.ints("axis", {1})});
    const std::string glu = g.node("Mul", {a, g.node("Sigmoid", {b})});
    const std::string z = silu(batchNorm(conv(glu, p + ".conv_depthwise", 1, kernel / 2, d), p + ".conv_batch_norm"));
    return g.node("Transpose", {conv(z, p + ".conv_pointwise2", 1, 0)}, {{"perm", kSwapLast}});
  }

  std::string block(std::string x, const std::string& p) {
    x = halfFeedForward(x, p + ".ff1");
    x = graph().node("Add", {x, attention(layerNorm(x, p + ".attn_norm"), p + ".qkv", p + ".proj", heads_)});
    x = graph().node("Add", {x, convolution(x, p)});
    return layerNorm(halfFeedForward(x, p + ".ff2"), p + ".out_norm");
  }

  // The network's position table for x's length [B, F', D]: sin at even, cos at odd channels.
  std::string sinusoids(const std::string& x, int64_t dim) {
    exporting::OnnxGraph& g = graph();
    const std::string length = g.node("Gather", {g.node("Shape", {x}), scalarIndex(1)}, {{"axis", int64_t(0)}});
    const std::string range = g.node("Range", {g.constant("zero", torch::tensor(int64_t(0))), length,
                                               g.constant("step", torch::tensor(int64_t(1)))});
    const std::string positions =
        g.node("Unsqueeze", {g.node("Cast", {range}, {{"to", int64_t(1)}}), g.ints("axis", {1})});  // [F', 1]
    const torch::Tensor rates =
        torch::exp(torch::arange(0, dim, 2, torch::kFloat32) * (-std::log(10000.0) / static_cast<double>(dim)));
    const std::string angles = g.node("Mul", {positions, g.constant("rates", rates)});  // [F', D / 2]
    const std::string pairs = g.node("Concat",
                                     {g.node("Unsqueeze", {g.node("Sin", {angles}), g.ints("axis", {2})}),
                                      g.node("Unsqueeze", {g.node("Cos", {angles}), g.ints("axis", {2})})},
                                     {{"axis", int64_t(2)}});
    return g.node("Reshape", {pairs, g.ints("shape", {-1, dim})});
  }

  int64_t heads_;
};

std::vector<std::string> labelTexts(const AsrVocabulary& vocabulary) {
  std::vector<std::string> labels{"<blank>"};
  for (int64_t id = 1; id < vocabulary.size(); ++id) labels.push_back(vocabulary.labelText(id));
  return labels;
}

// How a runtime turns audio into the graph's input: the recipe of LogMelFeatures, in librosa's terms.
std::string featureRecipe(const protocol::audio::MelOptions& m) {
  return "mono audio at " + std::to_string(m.sampleRate) + " Hz; power mel spectrogram as librosa's default (n_fft " +
         std::to_string(m.nFft) + ", periodic Hann window of " + std::to_string(m.winLength) + ", hop " +
         std::to_string(m.hop) + ", centred with reflected padding, " + std::to_string(m.nMels) +
         " Slaney mels with Slaney area norm, fmin " + Json(m.fMin).dump() + ", fmax " + Json(m.fMax).dump() +
         "); log(max(mel, " + Json(m.logFloor).dump() +
         ")); then each mel channel normalised over the utterance's frames: (x - mean) / (unbiased std + 1e-5). "
         "frames = 1 + samples / hop (integer division)";
}

std::string decodingRecipe(const AsrVocabulary& vocabulary, int64_t framesPerOutput) {
  return "CTC greedy: the most probable label of each output frame; merge runs of the same label, then drop the "
         "blank (label 0); " +
         std::string(vocabulary.isSubword() ? "join the SentencePiece pieces, '\u2581' marking a word's start"
                                            : "join the characters; ' ' separates words") +
         ". Output frame i starts at input frame " + std::to_string(framesPerOutput) + " * i";
}

}  // namespace

engine::ExportedModel exportOnnx(engine::Model& recognizer, const Json& spec, const engine::ExportRequest& request) {
  torch::NoGradGuard noGrad;
  auto& model = dynamic_cast<AsrModel&>(recognizer);
  model.module().eval();
  const protocol::audio::MelOptions& mel = model.features().options();
  const std::vector<std::string> labels = labelTexts(model.vocabulary());
  const auto classes = static_cast<int64_t>(labels.size());
  engine::GraphSignature s;
  s.input = "features";
  s.inputDims = {mel.nMels, -1};
  s.outputs = {{"log_probs", {-1, classes}}};
  s.labels = labels;

  exporting::OnnxGraph g(request.name, s.input, {-1, mel.nMels, -3});
  std::string logits;
  if (dynamic_cast<QuartzNetImpl*>(&model.module())) {
    QuartzNetGraph net(model.module(), g);
    logits = g.node("Transpose", {net.network(g.input())}, {{"perm", kSwapLast}});
  } else if (dynamic_cast<ConformerImpl*>(&model.module())) {
    ConformerGraph net(model.module(), g, spec["model"]["heads"].get<int64_t>());
    logits = net.network(g.input());
  } else {
    throw std::runtime_error("no ONNX writer for asr/" + spec["model"]["arch"].get<std::string>());
  }
  g.output(g.node("LogSoftmax", {logits}, {{"axis", int64_t(-1)}}), "log_probs", {-1, -4, classes});
  const std::string features = featureRecipe(mel), decoding = decodingRecipe(model.vocabulary(), model.subsampling());
  g.metadata("features", features);
  g.metadata("decoding", decoding);
  g.metadata("labels", Json(labels).dump());
  g.metadata("sample_rate", std::to_string(mel.sampleRate));
  g.metadata("subsampling", std::to_string(model.subsampling()));
  const std::filesystem::path& file = request.destination;
  g.write(file);
  const std::filesystem::path vocabulary = exporting::besideGraph(file, ".vocabulary.json");
  const Json described = {{"labels", labels},
                          {"blank", 0},
                          {"sample_rate", mel.sampleRate},
                          {"n_fft", mel.nFft},
                          {"win_length", mel.winLength},
                          {"hop", mel.hop},
                          {"n_mels", mel.nMels},
                          {"subsampling", model.subsampling()},
                          {"features", features},
                          {"decoding", decoding}};
  protocol::writeFileAtomically(vocabulary, described.dump(2) + "\n");
  return {{file, vocabulary}, {exporting::checkOnnxFile(file, s)}, s};
}

}  // namespace reef::asr
