# REMORA_FUZZ=ON: libFuzzer targets, built with clang (tests/fuzz/CMakeLists.txt includes this).
#
# libstdc++ 12 (GCC 12's library, which clang uses on Debian 12) guards <expected> with
# `__cpp_concepts >= 202002L`; clang 16 implements what <expected> needs but still reports
# __cpp_concepts as 201907L, so without help every std::expected in remora fails to compile. For
# the fuzz build only, we define the macro as GCC does and silence the redefinition warning that
# it causes (-Werror stays on). GCC builds never see either flag.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "REMORA_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++-16")
endif()
if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
  message(FATAL_ERROR "REMORA_FUZZ needs clang 16 or newer (C++23 <expected>)")
endif()

set(REMORA_CLANG_LIBSTDCXX12_COMPAT -D__cpp_concepts=202002L -Wno-macro-redefined)
# Every remora target links remora_warnings, so this lets the rest of the project (unit tests,
# the stub, the replay drivers) build in the same clang build directory.
target_compile_options(remora_warnings INTERFACE ${REMORA_CLANG_LIBSTDCXX12_COMPAT})

# Compile flags of everything that goes into a fuzzer: coverage feedback for libFuzzer plus ASan
# and UBSan (a UBSan report aborts, so libFuzzer records it as a crash).
add_library(remora_fuzz_flags INTERFACE)
target_compile_options(remora_fuzz_flags INTERFACE ${REMORA_CLANG_LIBSTDCXX12_COMPAT}
                       -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                       -fno-omit-frame-pointer -g)
target_link_options(remora_fuzz_flags INTERFACE -fsanitize=address,undefined)

# remora_fuzz_library(NAME FROM lib...): a static library compiled with remora_fuzz_flags from
# the sources of the given project libraries, so the code under test is instrumented while the
# project's own libraries stay as configured.
function(remora_fuzz_library name)
  cmake_parse_arguments(ARG "" "" "FROM" ${ARGN})
  set(sources "")
  foreach(lib IN LISTS ARG_FROM)
    if(NOT TARGET ${lib})
      continue()
    endif()
    get_target_property(lib_sources ${lib} SOURCES)
    get_target_property(lib_dir ${lib} SOURCE_DIR)
    foreach(src IN LISTS lib_sources)
      cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY ${lib_dir})
      list(APPEND sources ${src})
    endforeach()
  endforeach()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC remora_fuzz_flags remora_warnings)
endfunction()

# remora_fuzzer(NAME SOURCES...): a libFuzzer binary over the instrumented libraries.
# Each links asan_options.cpp: a smaller ASan quarantine, which roughly doubles the executions per
# second (see that file).
function(remora_fuzzer name)
  add_executable(${name} ${ARGN} ${PROJECT_SOURCE_DIR}/tests/fuzz/asan_options.cpp)
  target_link_libraries(${name} PRIVATE remora_fuzz_core remora_fuzz_flags remora_warnings)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()
