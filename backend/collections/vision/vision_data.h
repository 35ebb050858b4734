#pragma once
// The image datasets the vision collection trains on, as prepared by scripts/prepare-data.sh:
// <root>/<dataset>/{train,t10k}-{images-idx3,labels-idx1}-ubyte.
#include "backend/collections/vision/image_dataset.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace reef::vision {

std::vector<std::string> visionDatasetNames();  // mnist, fashion_mnist

// What a model built for a dataset needs to know without reading it: image shape, class names.
struct VisionDatasetInfo {
  ImageShape shape;
  std::vector<std::string> classes;
};
VisionDatasetInfo visionDatasetInfo(const std::string& dataset);

struct VisionData {
  VisionDatasetInfo info;
  double mean = 0, stddev = 1;             // of the training pixels (in [0, 1]): the network's normalisation
  std::shared_ptr<engine::Dataset> train;  // the training file minus its last valSize images
  std::shared_ptr<engine::Dataset> val;    // the last valSize images of the training file
  std::shared_ptr<engine::Dataset> test;   // the test file
};

VisionData loadVisionData(const std::filesystem::path& root, const std::string& dataset, int64_t valSize);

}  // namespace reef::vision
