#pragma once
// OpenBLAS picks its kernels by CPU model when it loads. Debian 12's OpenBLAS 0.3.21 does not know
// newer Intel cores (this machine's Sapphire Rapids reports itself as "Intel Xeon Processor") and
// falls back to its SSE3 "Prescott" kernels: torch::mm multiplies at 64 instead of 330 GFLOP/s.
// Only OPENBLAS_CORETYPE, read when the library loads (before main), overrides the choice, so the
// program re-executes itself once with it set.
#include <string>

namespace reef::engine {

// The OpenBLAS core type to ask for when the loaded OpenBLAS fell back to its generic kernels on
// a CPU with AVX2 or AVX-512; "" when there is nothing to fix (another BLAS, OPENBLAS_CORETYPE
// already set, or a core OpenBLAS recognised).
std::string betterOpenBlasCore();

// Re-executes this program (same pid, same arguments) with OPENBLAS_CORETYPE set when
// betterOpenBlasCore() names a core. Returns when there was nothing to do, or when the exec failed
// (said on stderr; the program then runs on the slow kernels).
void reexecForOpenBlasKernels(char** argv);

}  // namespace reef::engine
