#include "cli/cli.h"
#include "core/blas_kernels.h"
#ifndef REEF_ENGINE_ONLY
#include "cluster/cli/cluster_commands.h"
#include "deploy/serve_command.h"
#include "export_command.h"
#endif

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
#ifdef REEF_ENGINE_ONLY
  return reef::engine::runCli(argc, argv, {});
#else
  return reef::engine::runCli(argc, argv,
                              {reef::exporting::addExportCommand, reef::deploy::addServeCommand, reef::cluster::addClusterCommands});
#endif
}
