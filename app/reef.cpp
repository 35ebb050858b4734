#include "cli/cli.h"
#include "export_command.h"

int main(int argc, char** argv) { return reef::engine::runCli(argc, argv, {reef::exporting::addExportCommand}); }
