#include "cli/cli.h"

int main(int argc, char** argv) { return reef::engine::runCli(argc, argv); }
