// `monitor` commands of the emulated target: show the region table, inject and clear faults.
#pragma once
#include "targets/api/target.hpp"
#include "targets/emulated/address_space.hpp"

namespace remora::targets::emulated {

class Monitor final : public MonitorCommands {
 public:
  explicit Monitor(AddressSpace& space) : space_(space) {}
  std::vector<Command> commands() const override;
  // Known command, bad arguments: the usage text with `error` = invalid_argument.
  std::optional<std::string> run(std::string_view command_line, std::error_code& error) override;

 private:
  std::string regions_text() const;
  std::string fault(std::string_view args, std::error_code& error);

  AddressSpace& space_;
};

}  // namespace remora::targets::emulated
