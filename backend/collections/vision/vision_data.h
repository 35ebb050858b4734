#pragma once
// The image datasets the vision collection trains on, as prepared by scripts/prepare-data.sh:
// <root>/<dataset>/{train,t10k}-{images-idx3,labels-idx1}-ubyte.
#include "vision/image_dataset.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace reef::vision {

std::vector<std::string> visionDatasetNames();  // mnist, fashion_mnist

struct VisionData {
  ImageShape shape;
  std::vector<std::string> classes;
  std::shared_ptr<engine::Dataset> train;  // the training file minus its last valSize images
  std::shared_ptr<engine::Dataset> val;    // the last valSize images of the training file
  std::shared_ptr<engine::Dataset> test;   // the test file
};

VisionData loadVisionData(const std::filesystem::path& root, const std::string& dataset, int64_t valSize);

}  // namespace reef::vision
