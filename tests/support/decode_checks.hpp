// Checks for the strict packet decoders (rsp/packets/): the refusals of a decoder listed by the
// error they must give, so each test reads as a table of inputs per error.
#pragma once
#include <doctest/doctest.h>

#include <initializer_list>
#include <string_view>

#include "rsp/codec.hpp"

namespace remora::test {

// Each input must be refused with `want`; the message names the input that was not.
template <class Decode>
void expect_errors(Decode decode, rsp::DecodeError want, std::initializer_list<std::string_view> inputs) {
  for (std::string_view text : inputs) {
    const auto r = decode(text);
    CHECK_MESSAGE((!r.has_value() && r.error() == want), "input \"" << text << "\"");
  }
}

}  // namespace remora::test
