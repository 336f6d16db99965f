// target.xml as lldb-server writes it: one flat document whose <reg> elements carry lldb's own
// attributes. lldb-16 reads gdb's form too, but then invents a "general" register set, misses the
// EH/DWARF numbers of registers its ABI does not know and follows one xi:include per feature.
#include <vector>

#include "rsp/handlers/lldb_handlers.hpp"
#include "targets/api/xml_text.hpp"

namespace remora::rsp::handlers {
namespace {

std::string decimal_list(const std::vector<unsigned>& regs) {
  std::string out;
  for (std::size_t i = 0; i < regs.size(); ++i) out += (i ? "," : "") + std::to_string(regs[i]);
  return out;
}

void append_reg(std::string& out, const targets::RegisterInfo& r, std::size_t offset) {
  out += "    <reg name=\"" + targets::xml_escape(r.name) + "\" bitsize=\"" + std::to_string(r.bitsize) + "\" regnum=\"" +
         std::to_string(r.regnum) + "\" offset=\"" + std::to_string(offset) + "\" encoding=\"" +
         targets::xml_escape(r.lldb_encoding) + "\" format=\"" + targets::xml_escape(r.lldb_format) + "\" group=\"" + targets::xml_escape(r.lldb_set) + '"';
  if (r.ehframe >= 0) out += " ehframe_regnum=\"" + std::to_string(r.ehframe) + '"';
  if (r.dwarf >= 0) out += " dwarf_regnum=\"" + std::to_string(r.dwarf) + '"';
  if (const char* generic = lldb_generic_name(r.generic)) out += std::string(" generic=\"") + generic + '"';
  if (!r.value_regs.empty()) out += " value_regnums=\"" + decimal_list(r.value_regs) + '"';
  if (!r.invalidate_regs.empty()) out += " invalidate_regnums=\"" + decimal_list(r.invalidate_regs) + '"';
  out += "/>\n";
}

}  // namespace

std::string lldb_target_xml(const targets::TargetDescription& desc) {
  // Offsets are positions in the `g` block; registers outside it follow the block.
  std::vector<std::size_t> offsets(desc.registers.size());
  std::size_t offset = 0;
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t i = 0; i < desc.registers.size(); ++i)
      if (desc.registers[i].in_g_packet == (pass == 0)) {
        offsets[i] = offset;
        offset += desc.registers[i].bytes();
      }
  std::string out = "<?xml version=\"1.0\"?>\n<target version=\"1.0\">\n  <architecture>" + targets::xml_escape(desc.architecture) +
                    "</architecture>\n";
  if (!desc.osabi.empty()) out += "  <osabi>" + targets::xml_escape(desc.osabi) + "</osabi>\n";
  // One <feature> per run of registers of the same feature, in register order.
  std::string open_feature;
  bool open = false;
  for (std::size_t i = 0; i < desc.registers.size(); ++i) {
    const auto& r = desc.registers[i];
    if (!open || r.feature != open_feature) {
      if (open) out += "  </feature>\n";
      out += "  <feature name=\"" + targets::xml_escape(r.feature) + "\">\n";
      open_feature = r.feature;
      open = true;
    }
    append_reg(out, r, offsets[i]);
  }
  if (open) out += "  </feature>\n";
  out += "</target>\n";
  return out;
}

}  // namespace remora::rsp::handlers
