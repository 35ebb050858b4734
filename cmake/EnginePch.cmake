# Every engine target shares reef_engine_core's precompiled <torch/torch.h>. GCC accepts a PCH
# only under the same code model, so targets reusing it compile as -fPIC (executables would
# otherwise get -fPIE and silently fall back to parsing torch for every file).
function(reef_use_engine_pch target)
  target_precompile_headers(${target} REUSE_FROM reef_engine_core)
  target_compile_options(${target} PRIVATE -fPIC)
endfunction()
