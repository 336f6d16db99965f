# Every dependency comes from a Debian package: libasio-dev, libcli11-dev, doctest-dev.
find_package(Asio 1.22 REQUIRED)
find_package(CLI11 2.1 REQUIRED CONFIG)
if(REMORA_BUILD_TESTS)
  find_package(doctest 2.4 REQUIRED CONFIG)
endif()
