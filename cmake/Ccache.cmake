# Use ccache when it is installed. Precompiled headers need the sloppiness below, otherwise
# ccache refuses to cache every translation unit that includes the engine's PCH. Paths relative to
# the source tree, so that two checkouts of the same commit share the cache.
find_program(REEF_CCACHE ccache)
if(REEF_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      "CCACHE_BASEDIR=${CMAKE_SOURCE_DIR}"
      ${REEF_CCACHE})
  message(STATUS "ccache: ${REEF_CCACHE}")
endif()
