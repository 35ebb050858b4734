#include "backend/engine/core/blas_kernels.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace reef::engine {

std::string betterOpenBlasCore() {
  if (std::getenv("OPENBLAS_CORETYPE")) return "";
  using CoreName = char* (*)();
  const auto coreName = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (!coreName || std::strcmp(coreName(), "Prescott") != 0) return "";
  __builtin_cpu_init();
  // Not "Cooperlake": 0.3.21 does not accept that name in OPENBLAS_CORETYPE; its sgemm is SkylakeX's.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return "";
}

void reexecForOpenBlasKernels(char** argv) {
  const std::string core = betterOpenBlasCore();
  if (core.empty()) return;
  setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  execv("/proc/self/exe", argv);
  std::fprintf(
      stderr,
      "reef: could not restart with OPENBLAS_CORETYPE=%s (%s); matrix products use OpenBLAS's generic kernels\n",
      core.c_str(), std::strerror(errno));
}

}  // namespace reef::engine
