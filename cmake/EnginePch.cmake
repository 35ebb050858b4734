# Every engine target shares reef_engine_core's precompiled <torch/torch.h>. GCC accepts a PCH
# only under the same code model, so targets reusing it compile as -fPIC (executables would
# otherwise get -fPIE and silently fall back to parsing torch for every file).
#
# Loading the 570 MB PCH costs ~15 s per file even where nothing uses it, so the sources that
# reach no LibTorch header (themselves or through Reef's headers) and the generated
# mocs_compilation.cpp of AUTOMOC targets compile without it. Call this after the target's last
# target_sources().

# Sets ${out} to ON when ${file} includes <torch/...>, <ATen/...> or <c10/...>, itself or through
# the project's headers (quoted includes resolved from the project root). Memoised per file.
function(reef_includes_torch file out)
  get_property(known GLOBAL PROPERTY "reef_torch:${file}" SET)
  if(NOT known)
    set_property(GLOBAL PROPERTY "reef_torch:${file}" OFF)  # ends include cycles
    set(value OFF)
    file(STRINGS "${file}" includes REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS includes)
      if(line MATCHES "<(torch|ATen|c10)/")
        set(value ON)
      elseif(line MATCHES "\"([^\"]+)\"")
        set(header "${PROJECT_SOURCE_DIR}/${CMAKE_MATCH_1}")
        if(EXISTS "${header}")
          reef_includes_torch("${header}" value)
        endif()
      endif()
      if(value)
        break()
      endif()
    endforeach()
    set_property(GLOBAL PROPERTY "reef_torch:${file}" ${value})
  endif()
  get_property(value GLOBAL PROPERTY "reef_torch:${file}")
  set(${out} ${value} PARENT_SCOPE)
endfunction()

# Marks the target's sources that reach no LibTorch header to compile without the PCH.
function(reef_skip_unused_pch target)
  get_target_property(sources ${target} SOURCES)
  foreach(source IN LISTS sources)
    get_filename_component(path "${source}" ABSOLUTE)
    if(path MATCHES "\\.cpp$")
      reef_includes_torch("${path}" torch)
      if(NOT torch)
        set_source_files_properties("${path}" PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
      endif()
    endif()
  endforeach()
  get_target_property(automoc ${target} AUTOMOC)
  if(automoc)
    set_source_files_properties("${CMAKE_CURRENT_BINARY_DIR}/${target}_autogen/mocs_compilation.cpp"
                                PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
  endif()
endfunction()

function(reef_use_engine_pch target)
  target_precompile_headers(${target} REUSE_FROM reef_engine_core)
  target_compile_options(${target} PRIVATE -fPIC)
  reef_skip_unused_pch(${target})
endfunction()
