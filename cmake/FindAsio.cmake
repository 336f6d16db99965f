# Standalone asio (Debian: libasio-dev) is header-only and ships no CMake package.
find_path(Asio_INCLUDE_DIR asio.hpp)
if(Asio_INCLUDE_DIR AND EXISTS "${Asio_INCLUDE_DIR}/asio/version.hpp")
  file(STRINGS "${Asio_INCLUDE_DIR}/asio/version.hpp" _asio_version_line REGEX "#define ASIO_VERSION ")
  string(REGEX MATCH "[0-9]+" _asio_version "${_asio_version_line}")
  math(EXPR _major "${_asio_version} / 100000")
  math(EXPR _minor "${_asio_version} / 100 % 1000")
  math(EXPR _patch "${_asio_version} % 100")
  set(Asio_VERSION "${_major}.${_minor}.${_patch}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Asio REQUIRED_VARS Asio_INCLUDE_DIR VERSION_VAR Asio_VERSION)
# ASIO_DISABLE_STD_ALIGNED_ALLOC: asio 1.22 picks aligned_alloc/free or operator new/delete by
# _GLIBCXX_HAVE_ALIGNED_ALLOC, which is only defined when a libstdc++ header came first; units that
# include asio first disagree with the rest, so memory from operator new reaches free() (ASan's
# alloc-dealloc-mismatch, and GCC 12's -Wmismatched-new-delete). One choice for every unit.
if(Asio_FOUND AND NOT TARGET Asio::asio)
  add_library(Asio::asio INTERFACE IMPORTED)
  set_target_properties(Asio::asio PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${Asio_INCLUDE_DIR}"
                                              INTERFACE_COMPILE_DEFINITIONS "ASIO_STANDALONE;ASIO_NO_DEPRECATED;ASIO_DISABLE_STD_ALIGNED_ALLOC")
  find_package(Threads REQUIRED)
  set_property(TARGET Asio::asio PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()
