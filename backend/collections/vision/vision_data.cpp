#include "backend/collections/vision/vision_data.h"

#include "backend/collections/vision/idx_file.h"

#include <cmath>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::vision {

namespace {

std::shared_ptr<ImageSet> loadSplit(const fs::path& dir, const std::string& prefix, size_t classes) {
  const fs::path imagesPath = dir / (prefix + "-images-idx3-ubyte");
  const fs::path labelsPath = dir / (prefix + "-labels-idx1-ubyte");
  IdxArray images = readIdx(imagesPath);
  IdxArray labels = readIdx(labelsPath);
  if (images.shape.size() != 3) throw std::runtime_error("'" + imagesPath.string() + "' should hold images [N, H, W]");
  if (labels.shape.size() != 1 || labels.shape[0] != images.shape[0])
    throw std::runtime_error("'" + labelsPath.string() + "' holds " + std::to_string(labels.shape[0]) + " labels for " +
                             std::to_string(images.shape[0]) + " images");
  auto set = std::make_shared<ImageSet>();
  set->shape = {1, images.shape[1], images.shape[2]};
  set->pixels = std::move(images.data);
  set->labels.reserve(labels.data.size());
  for (uint8_t l : labels.data) {
    if (l >= classes)
      throw std::runtime_error("'" + labelsPath.string() + "' has label " + std::to_string(l) +
                               " but the dataset has " + std::to_string(classes) + " classes");
    set->labels.push_back(l);
  }
  return set;
}

}  // namespace

std::vector<std::string> visionDatasetNames() { return {"mnist", "fashion_mnist"}; }

VisionDatasetInfo visionDatasetInfo(const std::string& dataset) {
  if (dataset == "fashion_mnist")
    return {{1, 28, 28},
            {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}};
  if (dataset == "mnist") return {{1, 28, 28}, {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}};
  throw std::runtime_error("unknown image dataset '" + dataset + "' (known: mnist, fashion_mnist)");
}

VisionData loadVisionData(const fs::path& root, const std::string& dataset, int64_t valSize) {
  const fs::path dir = root / dataset;
  if (!fs::exists(dir / "train-images-idx3-ubyte"))
    throw std::runtime_error("dataset '" + dataset + "' is not prepared: '" +
                             (dir / "train-images-idx3-ubyte").string() +
                             "' does not exist. Run scripts/prepare-data.sh, or point data.root (or $REEF_DATA) at "
                             "the folder that holds " +
                             dataset + "/");
  VisionData out;
  out.info = visionDatasetInfo(dataset);
  auto train = loadSplit(dir, "train", out.info.classes.size());
  auto test = loadSplit(dir, "t10k", out.info.classes.size());
  for (const auto& [split, set] : {std::pair{"train", train}, std::pair{"t10k", test}})
    if (set->shape.height != out.info.shape.height || set->shape.width != out.info.shape.width)
      throw std::runtime_error("dataset '" + dataset + "': the " + split + " images are " +
                               std::to_string(set->shape.height) + "x" + std::to_string(set->shape.width) +
                               ", expected " + std::to_string(out.info.shape.height) + "x" +
                               std::to_string(out.info.shape.width) + " (re-run scripts/prepare-data.sh)");
  if (valSize >= train->size())
    throw std::runtime_error("data.val_size is " + std::to_string(valSize) + " but '" + dataset + "' has only " +
                             std::to_string(train->size()) + " training images");
  const int64_t trainCount = train->size() - valSize;

  // Normalisation statistics from the training images only.
  const size_t trainBytes = static_cast<size_t>(trainCount * out.info.shape.pixels());
  double sum = 0, sumSquares = 0;
  for (size_t i = 0; i < trainBytes; ++i) {
    const double x = train->pixels[i] / 255.0;
    sum += x;
    sumSquares += x * x;
  }
  out.mean = sum / static_cast<double>(trainBytes);
  out.stddev = std::sqrt(std::max(1e-12, sumSquares / static_cast<double>(trainBytes) - out.mean * out.mean));

  out.train = std::make_shared<ImageClassificationDataset>(train, 0, trainCount);
  out.val = std::make_shared<ImageClassificationDataset>(train, trainCount, valSize);
  out.test = std::make_shared<ImageClassificationDataset>(test, 0, test->size());
  return out;
}

}  // namespace reef::vision
