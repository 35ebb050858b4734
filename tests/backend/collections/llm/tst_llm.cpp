// The Llama decoder: Hugging Face parameter names, grouped-query shapes, the KV cache equal to a
// full recomputation (logits and generated tokens, greedy and sampled), sampling rules, and the
// Mixtral variant, the fused fp32 layer kernels against their float64 composites, LoRA adapters (frozen base, merge
// equal to base + adapter) and the masked fine-tuning batches.
#include <torch/torch.h>

#include "backend/collections/llm/generation.h"
#include "backend/collections/llm/llama.h"
#include "backend/collections/llm/rms_norm.h"
#include "backend/collections/llm/rotary_embedding.h"
#include "backend/collections/llm/sft_dataset.h"
#include "backend/collections/llm/swiglu.h"
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/lora.h"
#include "tests/backend/collections/llm/tiny_llama.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <functional>

#include <set>

using namespace reef::llm;
using reef::llm::testing::kjvTokenizer;
using reef::llm::testing::tinyLlama;
using reef::text::Tokenizer;

namespace {

std::set<std::string> names(torch::nn::Module& m) {
  std::set<std::string> out;
  for (const auto& p : m.named_parameters()) out.insert(p.key());
  return out;
}

}  // namespace

class TestLlm : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(2); }

  void huggingFaceNamesAndShapes() {
    torch::manual_seed(0);
    LlamaForCausalLM tied(tinyLlama(100));
    const auto n = names(*tied);
    for (const char* key : {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                            "model.layers.1.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight",
                            "model.layers.0.self_attn.o_proj.weight", "model.layers.1.mlp.gate_proj.weight",
                            "model.layers.1.mlp.up_proj.weight", "model.layers.1.mlp.down_proj.weight",
                            "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
                            "model.norm.weight"})
      QVERIFY2(n.count(key), key);
    QVERIFY(!n.count("lm_head.weight"));
    QCOMPARE(tied->model->layers[0]->as<DecoderLayer>()->self_attn->k_proj.ptr()->named_parameters()["weight"].sizes(),
             torch::IntArrayRef({16, 32}));
    LlamaForCausalLM untied(tinyLlama(100, false));
    QVERIFY(names(*untied).count("lm_head.weight"));
    QCOMPARE(static_cast<int64_t>(names(*untied).size()), static_cast<int64_t>(n.size()) + 1);
    int64_t counted = 0;
    for (const auto& p : untied->parameters()) counted += p.numel();
    QCOMPARE(counted, tinyLlama(100, false).parameterCount());
  }

  // RMSNorm, rotary embedding and SwiGLU: the fp32 CPU kernels (forward and backward) against the
  // composite LibTorch expressions, which float64 inputs take, on the same values.
  void fusedLayerKernelsMatchTheirFloat64Composite() {
    torch::manual_seed(5);
    const auto check = [](const char* what, const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& f,
                          const std::vector<torch::Tensor>& inputs) {
      std::vector<torch::Tensor> in32, in64;
      for (const auto& t : inputs) {
        in32.push_back(t.to(torch::kFloat32, false, true).set_requires_grad(true));  // copies: leaves of their own
        in64.push_back(t.to(torch::kFloat64, false, true).set_requires_grad(true));
      }
      const torch::Tensor y32 = f(in32), y64 = f(in64);
      const torch::Tensor upstream = torch::randn(y64.sizes(), torch::kFloat64);
      y32.backward(upstream.to(torch::kFloat32));
      y64.backward(upstream);
      const auto rel = [](const torch::Tensor& a, const torch::Tensor& b) {
        return (a.to(torch::kFloat64) - b).abs().max().item<double>() / b.abs().max().item<double>();
      };
      QVERIFY2(rel(y32, y64) < 1e-5, qPrintable(QString("%1 forward %2").arg(what).arg(rel(y32, y64))));
      for (size_t i = 0; i < inputs.size(); ++i)
        QVERIFY2(rel(in32[i].grad(), in64[i].grad()) < 1e-5, qPrintable(QString("%1 gradient %2").arg(what).arg(i)));
    };
    check("rms_norm", [](const auto& v) { return rmsNorm(v[0], v[1], 1e-5); },
          {torch::randn({3, 7, 48}), torch::rand({48}) + 0.5});
    check("swiglu", [](const auto& v) { return swiglu(v[0], v[1]); },
          {torch::randn({5, 9, 40}) * 3, torch::randn({5, 9, 40})});
    const torch::Tensor angles = torch::rand({11, 8}) * 6;
    const torch::Tensor cos = torch::cat({angles.cos(), angles.cos()}, -1),
                        sin = torch::cat({angles.sin(), angles.sin()}, -1);
    check("rotary",
          [&](const auto& v) { return applyRotary(v[0], cos.to(v[0].scalar_type()), sin.to(v[0].scalar_type())); },
          {torch::randn({2, 11, 3, 16})});
  }

  void cachedDecodingEqualsRecomputation() {
    torch::manual_seed(1);
    LlamaForCausalLM net(tinyLlama(100));
    net->eval();
    torch::NoGradGuard noGrad;
    const torch::Tensor ids = torch::randint(0, 100, {2, 20});
    const torch::Tensor full = net->forward(ids);
    KvCache cache = net->newCache(2, 20, torch::kFloat32);
    torch::Tensor prefill = net->forward(ids.narrow(1, 0, 12), &cache);
    QVERIFY(torch::allclose(prefill, full.narrow(1, 0, 12), 1e-5, 1e-5));
    for (int64_t t = 12; t < 20; ++t) {
      const torch::Tensor step = net->forward(ids.narrow(1, t, 1), &cache);
      QVERIFY2(torch::allclose(step.squeeze(1), full.select(1, t), 1e-5, 1e-5),
               qPrintable(QString("position %1").arg(t)));
    }
    QCOMPARE(cache.length, int64_t(20));
  }

  void generationWithAndWithoutCacheGivesTheSameTokens() {
    const Tokenizer tokenizer = kjvTokenizer();
    torch::manual_seed(2);
    LlamaForCausalLM net(tinyLlama(tokenizer.vocabSize()));
    for (double temperature : {0.0, 0.8}) {
      SamplingOptions o;
      o.maxTokens = 24;
      o.temperature = temperature;
      o.topK = 50;
      o.topP = 0.95;
      o.seed = 7;
      o.useCache = true;
      const GenerationResult cached = generate(net, tokenizer, "In the beginning", o);
      o.useCache = false;
      const GenerationResult plain = generate(net, tokenizer, "In the beginning", o);
      QCOMPARE(cached.tokens, plain.tokens);
      QCOMPARE(cached.text, plain.text);
      QVERIFY(!cached.tokens.empty());
      // The text continues the prompt: the first piece keeps the space it stands for.
      std::string pieces;
      for (int id : cached.tokens) pieces += tokenizer.tokenText(id);
      QCOMPARE(cached.text, pieces);
    }
  }

  void samplingRules() {
    const torch::Tensor logits = torch::tensor({1.0, 3.0, 2.0, 0.5});
    uint64_t rng = 1;
    SamplingOptions greedy;
    greedy.temperature = 0;
    QCOMPARE(sampleToken(logits, {}, greedy, rng), 1);
    SamplingOptions topOne;
    topOne.topK = 1;
    for (int i = 0; i < 20; ++i) QCOMPARE(sampleToken(logits, {}, topOne, rng), 1);
    SamplingOptions nucleus;
    nucleus.topP = 0.01;
    for (int i = 0; i < 20; ++i) QCOMPARE(sampleToken(logits, {}, nucleus, rng), 1);
    SamplingOptions penalised = greedy;
    penalised.repetitionPenalty = 10;
    QCOMPARE(sampleToken(logits, {1}, penalised, rng), 2);  // 3.0 / 10 falls below 2.0
    SamplingOptions sampled;
    sampled.seed = 5;
    uint64_t a = 5, b = 5;
    std::vector<int> first, second;
    for (int i = 0; i < 50; ++i) {
      first.push_back(sampleToken(logits, {}, sampled, a));
      second.push_back(sampleToken(logits, {}, sampled, b));
    }
    QCOMPARE(first, second);
    QVERIFY(std::set<int>(first.begin(), first.end()).size() > 1);
  }

  void mixtralVariant() {
    torch::manual_seed(3);
    LlamaForCausalLM net(tinyLlama(50, true, 4));
    const torch::Tensor logits = net->forward(torch::randint(0, 50, {2, 10}));
    QCOMPARE(logits.sizes(), torch::IntArrayRef({2, 10, 50}));
    const torch::Tensor aux = net->auxLoss();
    QVERIFY(aux.defined() && aux.item<double>() > 0);
    QVERIFY(names(*net).count("model.layers.0.block_sparse_moe.router.weight"));
    QVERIFY(!names(*net).count("model.layers.0.mlp.gate_proj.weight"));
  }

  void loraTrainsAdaptersOnlyAndMergesExactly() {
    torch::manual_seed(4);
    LlamaForCausalLM net(tinyLlama(60, false));
    const torch::Tensor ids = torch::randint(0, 60, {2, 16});
    const torch::Tensor before = net->forward(ids).detach();
    std::map<std::string, torch::Tensor> base;
    for (const auto& p : net->named_parameters()) base[p.key()] = p.value().detach().clone();

    reef::engine::LoraSettings lora;
    lora.rank = 4;
    lora.alpha = 8;
    lora.targets = reef::engine::parseTargetList("q_proj, v_proj ,down_proj,lm_head");
    const auto adapted = reef::engine::attachLora(*net, lora);
    QCOMPARE(adapted.size(), size_t(2 * 3 + 1));
    QVERIFY(names(*net).count("model.layers.1.self_attn.q_proj.lora_A.weight"));
    QVERIFY(names(*net).count("lm_head.lora_B.weight"));
    QVERIFY(torch::allclose(net->forward(ids), before, 0, 0));  // B starts at zero
    for (const auto& p : net->named_parameters())
      QCOMPARE(p.value().requires_grad(), reef::engine::isAdapterTensor(p.key()));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, reef::engine::attachLora(*net, {4, 8, {"wq"}}));

    std::vector<torch::Tensor> trainable;
    for (auto& p : net->parameters())
      if (p.requires_grad()) trainable.push_back(p);
    torch::optim::SGD sgd(trainable, torch::optim::SGDOptions(0.5));
    for (int i = 0; i < 5; ++i) {
      sgd.zero_grad();
      const torch::Tensor logits = net->forward(ids.narrow(1, 0, 15));
      torch::nn::functional::cross_entropy(logits.reshape({-1, 60}), ids.narrow(1, 1, 15).reshape(-1)).backward();
      sgd.step();
    }
    for (const auto& [name, value] : base) QVERIFY2(torch::equal(net->named_parameters()[name], value), name.c_str());
    const torch::Tensor adaptedLogits = net->forward(ids).detach();
    QVERIFY((adaptedLogits - before).abs().max().item<double>() > 1e-3);  // the adapters learned something

    QCOMPARE(reef::engine::mergeLora(*net), 7);
    QVERIFY(reef::engine::loraState(*net).empty());
    QCOMPARE(names(*net).size(), base.size());
    const torch::Tensor merged = net->forward(ids).detach();
    const double diff = (merged - adaptedLogits).abs().max().item<double>();
    QVERIFY2(diff < 1e-4, qPrintable(QString("merged logits differ by %1").arg(diff)));
  }

  void fineTuningMasksTheLossToOutputs() {
    const Tokenizer tokenizer = kjvTokenizer();
    QTemporaryDir dir;
    const std::filesystem::path file = dir.filePath("pairs.jsonl").toStdString();
    {
      std::ofstream out(file);
      for (int i = 0; i < 40; ++i)
        out << "{\"input\": \"And God said,\", \"output\": \"Let there be light" << i << ".\"}\n";
      std::string tooLong;
      for (int i = 0; i < 40; ++i) tooLong += "In the beginning ";
      out << "{\"input\": \"" << tooLong << "\", \"output\": \"too long\"}\n";
    }
    const SftExamples examples = loadSftExamples(file, tokenizer, 32);
    QCOMPARE(examples.train.size() + examples.val.size(), size_t(40));
    QCOMPARE(examples.val.size(), size_t(2));
    QCOMPARE(examples.skipped, int64_t(1));
    const SftExample& e = examples.train.front();
    const auto prompt = tokenizer.encode("And God said,");
    const auto output = tokenizer.encode("Let there be light0.");
    QCOMPARE(e.promptLength, static_cast<int64_t>(prompt.size()));
    QCOMPARE(e.tokens.size(), prompt.size() + output.size() + 1);
    QCOMPARE(e.tokens.back(), tokenizer.eos());
    QCOMPARE(e.outputBytes, int64_t(20));

    SftDataset data(examples.train, 32, tokenizer.eos());
    const reef::engine::Batch batch = data.get({0, 1});
    const torch::Tensor mask = batch.at("loss_mask");
    QCOMPARE(mask.sizes(), torch::IntArrayRef({2, 32}));
    const auto p = static_cast<int64_t>(prompt.size());
    // Targets p .. p + |output| (the output and the end token) count; the prompt and padding do not.
    QCOMPARE(mask[0].sum().item<double>(), static_cast<double>(output.size() + 1));
    QCOMPARE(mask[0][p - 2].item<float>(), 0.0F);
    QCOMPARE(mask[0][p - 1].item<float>(), 1.0F);
    QCOMPARE(mask[0][p + static_cast<int64_t>(output.size())].item<float>(), 0.0F);
    QCOMPARE(batch.at("tokens")[0][p].item<int64_t>(), static_cast<int64_t>(output.front()));

    std::ofstream(file) << "{\"input\": 3}\n";
    try {
      loadSftExamples(file, tokenizer, 32);
      QFAIL("a line without string fields was accepted");
    } catch (const std::runtime_error& error) {
      QVERIFY2(QString(error.what()).contains("pairs.jsonl:1"), error.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestLlm)
#include "tst_llm.moc"
