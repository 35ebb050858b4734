#include "cli/cli.h"
#include "core/blas_kernels.h"
#include "cluster/cli/cluster_commands.h"
#include "deploy/serve_command.h"
#include "export_command.h"

int main(int argc, char** argv) {
  reef::engine::reexecForOpenBlasKernels(argv);
  return reef::engine::runCli(argc, argv,
                              {reef::exporting::addExportCommand, reef::deploy::addServeCommand, reef::cluster::addClusterCommands});
}
