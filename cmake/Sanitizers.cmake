# REEF_SANITIZE=address,undefined (any list -fsanitize= takes): every target that does not compile
# LibTorch (the torch-free libraries, the studio, their tests, the tools) is built with those
# sanitizers, and a finding ends the process (no recovery), so that a suite fails on it. With
# REEF_SANITIZE_ENGINE the engine's targets, which share reef_engine_core's precompiled
# <torch/torch.h>, are instrumented too (the precompiled header with them, so its flags match),
# and the engine's unit suites are registered; LibTorch, OpenMP and the BLAS underneath stay
# uninstrumented. Every program links the sanitizer runtime. scripts/sanitize.sh builds
# build-sanitize/ (or build-sanitize-engine/) and runs the unit and GUI suites.
set(REEF_SANITIZE "" CACHE STRING "Sanitizers for every torch-free Reef target, e.g. address,undefined")
option(REEF_SANITIZE_ENGINE "With REEF_SANITIZE, instrument the engine's targets and suites too" OFF)
if(REEF_SANITIZE)
  add_link_options(-fsanitize=${REEF_SANITIZE})
  if(REEF_SANITIZE_ENGINE)
    message(STATUS "sanitizers: ${REEF_SANITIZE} (every target)")
  else()
    message(STATUS "sanitizers: ${REEF_SANITIZE} (torch-free targets)")
  endif()
endif()

# Called once every target exists: instruments those of `dir` and below (without
# REEF_SANITIZE_ENGINE, only those that do not use the engine's precompiled header).
function(reef_apply_sanitizers dir)
  if(NOT REEF_SANITIZE)
    return()
  endif()
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    get_target_property(reused ${target} PRECOMPILE_HEADERS_REUSE_FROM)
    get_target_property(own ${target} PRECOMPILE_HEADERS)
    if(type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|EXECUTABLE)$" AND (REEF_SANITIZE_ENGINE OR (NOT reused AND NOT own)))
      target_compile_options(${target} PRIVATE
        -fsanitize=${REEF_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
    endif()
  endforeach()
  get_property(subdirectories DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdirectory IN LISTS subdirectories)
    reef_apply_sanitizers(${subdirectory})
  endforeach()
endfunction()
