// --trace line format: direction, escaped bytes, long payloads cut with their length.
#include "stub/trace.hpp"

#include <doctest/doctest.h>

#include <cstdio>

using remora::rsp::PacketObserver;
using remora::stub::format_packet;
using remora::stub::TraceWriter;

TEST_CASE("direction arrows") {
  CHECK(format_packet(PacketObserver::Direction::from_client, "qSupported") == "-> qSupported");
  CHECK(format_packet(PacketObserver::Direction::to_client, "OK") == "<- OK");
  CHECK(format_packet(PacketObserver::Direction::to_client, "") == "<- ");
}

TEST_CASE("binary bytes are escaped") {
  std::string payload = std::string("X0,3:") + '\0' + '\x7d' + "\xff\n\\";
  CHECK(format_packet(PacketObserver::Direction::from_client, payload) == "-> X0,3:\\x00}\\xff\\x0a\\x5c");
}

TEST_CASE("long payloads are elided with their length") {
  std::string payload(500, 'a');
  auto line = format_packet(PacketObserver::Direction::to_client, payload);
  CHECK(line == "<- " + std::string(200, 'a') + "... (500 bytes)");
  CHECK(format_packet(PacketObserver::Direction::to_client, std::string(200, 'b')) == "<- " + std::string(200, 'b'));
}

TEST_CASE("the writer timestamps each line and prefixes notes") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  TraceWriter writer(file);
  writer.on_packet(PacketObserver::Direction::from_client, "?");
  writer.on_note("client asked for no-ack mode");
  std::rewind(file);
  char buf[256] = {};
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, file);
  std::fclose(file);
  std::string text(buf, n);
  // "HH:MM:SS.mmm -> ?\nHH:MM:SS.mmm remora: client ...\n"
  auto first = text.substr(0, text.find('\n'));
  REQUIRE(first.size() == 17);
  CHECK(first[2] == ':');
  CHECK(first[8] == '.');
  CHECK(first.substr(12) == " -> ?");
  CHECK(text.find(" remora: client asked for no-ack mode\n") != std::string::npos);
}
