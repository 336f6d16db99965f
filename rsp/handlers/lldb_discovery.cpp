// qHostInfo, qProcessInfo, qRegisterInfoN, qGetWorkingDir, qWatchpointSupportInfo: what lldb asks
// before anything else. Everything is derived from the target description and the accessors.
#include "rsp/codec.hpp"
#include "rsp/handlers/lldb_handlers.hpp"

namespace remora::rsp::handlers {
namespace {

void append_regnum_list(std::string& out, const char* key, const std::vector<unsigned>& regs) {
  if (regs.empty()) return;
  out += key;
  for (std::size_t i = 0; i < regs.size(); ++i) {
    if (i) out += ',';
    append_hex_u64(out, regs[i]);
  }
  out += ';';
}

// Where lldb finds the register in a `g` reply; registers outside it follow the block.
std::size_t register_offset(const targets::TargetDescription& desc, unsigned regnum) {
  std::size_t in_g = 0, outside = 0, g_total = 0;
  for (const auto& r : desc.registers)
    if (r.in_g_packet) g_total += r.bytes();
  for (const auto& r : desc.registers) {
    if (r.regnum == regnum) return r.in_g_packet ? in_g : g_total + outside;
    (r.in_g_packet ? in_g : outside) += r.bytes();
  }
  return 0;
}

// The key:value pairs qHostInfo and qProcessInfo share.
void append_arch_keys(std::string& out, const LldbArch& arch) {
  out += "triple:";
  append_hex(out, std::string_view(arch.triple));
  out += ";endian:little;ptrsize:" + std::to_string(arch.pointer_size) + ';';
  if (arch.triple.ends_with("-linux-gnu")) out += "ostype:linux;";
}

}  // namespace

const char* lldb_generic_name(targets::GenericRole role) {
  using GenericRole = targets::GenericRole;
  switch (role) {
    case GenericRole::pc: return "pc";
    case GenericRole::sp: return "sp";
    case GenericRole::fp: return "fp";
    case GenericRole::ra: return "ra";
    case GenericRole::flags: return "flags";
    case GenericRole::arg1: return "arg1";
    case GenericRole::arg2: return "arg2";
    case GenericRole::arg3: return "arg3";
    case GenericRole::arg4: return "arg4";
    case GenericRole::arg5: return "arg5";
    case GenericRole::arg6: return "arg6";
    case GenericRole::none: break;
  }
  return nullptr;
}

LldbArch lldb_arch(const targets::TargetDescription& desc) {
  // The os part comes from the description's osabi (gdb's names), the cpu from its architecture.
  std::string os = desc.osabi == "GNU/Linux" ? "-pc-linux-gnu" : "-unknown-unknown";
  if (desc.architecture == "i386:x86-64") return {"x86_64" + os, 8, true};
  if (desc.architecture == "i386") return {"i386" + os, 4, true};
  return {};
}

Reply host_info(SessionState& s, const packets::NoArgs&) {
  s.features.lldb = true;
  auto arch = lldb_arch(s.target.registers().description());
  if (arch.triple.empty()) return Reply::empty();  // lldb then asks the target description
  std::string out;
  append_arch_keys(out, arch);
  // x86 debug registers report a watchpoint after the access has happened.
  if (arch.x86) out += "watchpoint_exceptions_received:after;";
  return Reply::with(std::move(out));
}

Reply process_info(SessionState& s, const packets::NoArgs&) {
  s.features.lldb = true;
  auto threads = s.target.threads();
  if (threads.empty()) return Reply::error(ErrorCode::no_process, "no process");
  auto arch = lldb_arch(s.target.registers().description());
  std::string out = "pid:";
  append_hex_u64(out, static_cast<std::uint64_t>(threads.front().pid));
  out += ';';
  if (!arch.triple.empty()) append_arch_keys(out, arch);
  return Reply::with(std::move(out));
}

Reply register_info(SessionState& s, const packets::RegisterInfoQuery& q) {
  s.features.lldb = true;
  const auto& desc = s.target.registers().description();
  const auto* r = desc.find(q.regnum);
  // lldb asks for 0, 1, 2, ... until it gets an error.
  if (!r) return Reply::error(ErrorCode::malformed, "no register number " + std::to_string(q.regnum));
  std::string out = "name:" + r->name + ';';
  const char* generic = lldb_generic_name(r->generic);
  if (generic) out += std::string("alt-name:") + generic + ';';
  out += "bitsize:" + std::to_string(r->bitsize) + ";offset:" + std::to_string(register_offset(desc, r->regnum)) + ';';
  out += "encoding:" + r->lldb_encoding + ";format:" + r->lldb_format + ";set:" + r->lldb_set + ';';
  if (r->ehframe >= 0) out += "gcc:" + std::to_string(r->ehframe) + ";ehframe:" + std::to_string(r->ehframe) + ';';
  if (r->dwarf >= 0) out += "dwarf:" + std::to_string(r->dwarf) + ';';
  if (generic) out += std::string("generic:") + generic + ';';
  append_regnum_list(out, "container-regs:", r->value_regs);
  append_regnum_list(out, "invalidate-regs:", r->invalidate_regs);
  return Reply::with(std::move(out));
}

Reply working_dir(SessionState& s, const packets::NoArgs&) {
  auto dir = s.target.working_directory();
  if (!dir) return Reply::empty();
  return Reply::with(to_hex(std::string_view(*dir)));
}

Reply watchpoint_support_info(SessionState& s, const packets::WatchpointSupportQuery&) {
  auto* bp = s.target.breakpoints();
  if (!bp) return Reply::empty();
  using K = targets::BreakpointKind;
  bool any = bp->supports(K::watch_write) || bp->supports(K::watch_read) || bp->supports(K::watch_access);
  auto slots = any ? bp->watchpoint_slots() : std::optional<unsigned>(0);
  if (!slots) return Reply::empty();  // it has watchpoints but cannot count them: lldb just tries Z2
  return Reply::with("num:" + std::to_string(*slots) + ';');
}

}  // namespace remora::rsp::handlers
