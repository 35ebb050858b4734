#include "app/reef/cli.h"
#include "backend/engine/core/blas_kernels.h"

#include <cstring>

namespace {

// Listing, run-tracking and cluster commands multiply no matrices: they skip the BLAS restart,
// which costs a second program start (about 0.4 s here).
bool multipliesMatrices(int argc, char** argv) {
  if (argc < 2) return false;
  for (const char* light : {"catalog", "runs", "db", "cluster", "--version", "--help", "-h"})
    if (std::strcmp(argv[1], light) == 0) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (multipliesMatrices(argc, argv)) reef::engine::reexecForOpenBlasKernels(argv);
  return reef::app::runCli(argc, argv);
}
