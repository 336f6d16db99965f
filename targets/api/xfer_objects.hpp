// Objects a backend offers through qXfer (auxv, libraries-svr4, exec-file, siginfo, threads,
// osdata). The protocol core slices them and advertises `qXfer:NAME:read+` for each listed name.
#pragma once
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace remora::targets {

class XferObjects {
 public:
  virtual ~XferObjects() = default;
  struct Object {
    std::string name;
    bool writable = false;
  };
  virtual std::vector<Object> objects() const = 0;
  // The whole object for `annex` (small objects: the core slices the reply).
  virtual std::expected<std::string, std::error_code> read(std::string_view name, std::string_view annex) = 0;
  virtual std::expected<std::size_t, std::error_code> write(std::string_view /*name*/, std::string_view /*annex*/,
                                                            std::uint64_t /*offset*/,
                                                            std::span<const std::byte> /*data*/) {
    return std::unexpected(std::make_error_code(std::errc::function_not_supported));
  }
};

}  // namespace remora::targets
