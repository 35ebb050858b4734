// The .reef bundle format on its own: spec, step, weights and assets round-trip; deliberately
// broken bundles (another safetensors file, a future version, an asset escaping the data root,
// a truncated file) are refused with the reason.
#include "backend/protocol/bundle.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <iterator>

using namespace reef::protocol;
using reef::Json;
namespace fs = std::filesystem;

namespace {

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

template <typename F>
QString errorOf(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return QString::fromUtf8(e.what());
  }
  return {};
}

}  // namespace

class TestBundle : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path at(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

 private Q_SLOTS:
  void roundTrip() {
    const float w[4] = {1, 2, 3, 4};
    const Json spec = {{"model", {{"collection", "llm"}, {"arch", "llama"}}}};
    writeBundle(at("m.reef"), spec, 520, {{"lm_head.weight", DType::F32, {2, 2}, w, sizeof w}},
                {{"llm/kjv/tokenizer.model", {'s', 'p', 0, 1}}});
    const Bundle b = Bundle::open(at("m.reef"));
    QCOMPARE(b.spec(), spec);
    QCOMPARE(b.step(), int64_t(520));
    QVERIFY(b.file().find("lm_head.weight"));
    QVERIFY(Bundle::isAsset("__asset__/llm/kjv/tokenizer.model"));
    QVERIFY(!Bundle::isAsset("lm_head.weight"));
    QVERIFY(!b.assetsMatch(at("root")));
    b.extractAssets(at("root"));
    QCOMPARE(readFile(at("root") / "llm/kjv/tokenizer.model"), std::string("sp\0\1", 4));
    QVERIFY(b.assetsMatch(at("root")));
    std::ofstream(at("root") / "llm/kjv/tokenizer.model", std::ios::trunc) << "other";
    QVERIFY(!b.assetsMatch(at("root")));
    QVERIFY(!fs::exists(at("m.reef.partial")));
  }

  void refusesWhatIsNotABundle() {
    const float w[1] = {1};
    writeSafetensors(at("plain.safetensors"), {{"w", DType::F32, {1}, w, sizeof w}});
    QVERIFY(errorOf([&] { Bundle::open(at("plain.safetensors")); }).contains("not a Reef bundle"));
    writeSafetensors(at("future.reef"), {{"w", DType::F32, {1}, w, sizeof w}},
                     {{"format", "reef-bundle"}, {"version", "9"}, {"spec", "{}"}, {"step", "1"}});
    QVERIFY(errorOf([&] { Bundle::open(at("future.reef")); }).contains("version"));
    writeSafetensors(at("badspec.reef"), {{"w", DType::F32, {1}, w, sizeof w}},
                     {{"format", "reef-bundle"}, {"version", "1"}, {"spec", "{not json"}, {"step", "1"}});
    QVERIFY(errorOf([&] { Bundle::open(at("badspec.reef")); }).contains("not valid JSON"));
    writeSafetensors(at("nostep.reef"), {{"w", DType::F32, {1}, w, sizeof w}},
                     {{"format", "reef-bundle"}, {"version", "1"}, {"spec", "{}"}, {"step", "x"}});
    QVERIFY(errorOf([&] { Bundle::open(at("nostep.reef")); }).contains("no valid step"));
  }

  void refusesAnAssetOutsideTheDataRoot() {
    const uint8_t bytes[2] = {1, 2};
    writeSafetensors(at("evil.reef"), {{"__asset__/../escaped", DType::U8, {2}, bytes, 2}},
                     {{"format", "reef-bundle"}, {"version", "1"}, {"spec", "{}"}, {"step", "1"}});
    const Bundle b = Bundle::open(at("evil.reef"));
    QVERIFY(errorOf([&] { b.extractAssets(at("root2")); }).contains("outside the data root"));
    QVERIFY(!fs::exists(at("escaped")));
    const std::string absolute = (at("absolute-target")).string();
    writeSafetensors(at("abs-asset.reef"), {{"__asset__/" + absolute, DType::U8, {2}, bytes, 2}},
                     {{"format", "reef-bundle"}, {"version", "1"}, {"spec", "{}"}, {"step", "1"}});
    QVERIFY(errorOf([&] {
              Bundle::open(at("abs-asset.reef")).extractAssets(at("root3"));
            }).contains("outside the data root"));
    QVERIFY(!fs::exists(absolute));
    QVERIFY(errorOf([&] {
              writeBundle(at("abs.reef"), Json::object(), 1, {}, {{"/etc/x", {1}}});
            }).contains("relative"));
  }

  void refusesATruncatedBundle() {
    const float w[64] = {};
    writeBundle(at("t.reef"), Json::object(), 1, {{"w", DType::F32, {64}, w, sizeof w}}, {});
    fs::resize_file(at("t.reef"), fs::file_size(at("t.reef")) - 10);
    QVERIFY(!errorOf([&] { Bundle::open(at("t.reef")); }).isEmpty());
  }
};

QTEST_GUILESS_MAIN(TestBundle)
#include "tst_bundle.moc"
