// Connecting to QEMU and finding out what it supports: qSupported (PacketSize), target.xml with
// its includes, vCont?, qAttached, the watchpoint kinds, the threads and the current stop.
#include <unistd.h>

#include <algorithm>

#include "rsp/codec.hpp"
#include "targets/api/errors.hpp"
#include "targets/cache/proc_maps_hint.hpp"
#include "targets/qemu/qemu_host_memory.hpp"
#include "targets/qemu/qemu_target.hpp"
#include "targets/qemu/qemu_tdesc.hpp"

namespace remora::targets::qemu {
namespace {

// The value of `name=` in a qSupported reply, or empty.
std::string feature_value(std::string_view reply, std::string_view name) {
  while (!reply.empty()) {
    auto part = rsp::split_once(reply, ';');
    if (part.head.starts_with(name) && part.head.size() > name.size() && part.head[name.size()] == '=')
      return std::string(part.head.substr(name.size() + 1));
    if (!part.found) break;
    reply = part.tail;
  }
  return {};
}

bool has_feature(std::string_view reply, std::string_view name) {
  std::string needle = std::string(name) + "+";
  while (!reply.empty()) {
    auto part = rsp::split_once(reply, ';');
    if (part.head == needle) return true;
    if (!part.found) break;
    reply = part.tail;
  }
  return false;
}

}  // namespace

std::expected<std::string, std::string> QemuTarget::read_xfer(std::string_view object, std::string_view annex) {
  std::string doc;
  const std::size_t chunk = features_.packet_size > 16 ? features_.packet_size - 8 : 8;
  for (;;) {
    std::string packet = "qXfer:" + std::string(object) + ":read:" + std::string(annex) + ":";
    rsp::append_hex_u64(packet, doc.size());
    packet += ',';
    rsp::append_hex_u64(packet, chunk);
    auto reply = request(packet);
    if (!reply) return std::unexpected(link_.death());
    if (reply->empty() || (reply->front() != 'm' && reply->front() != 'l'))
      return std::unexpected("QEMU answered '" + reply->substr(0, 20) + "'");
    doc.append(*reply, 1);
    if (reply->front() == 'l') return doc;
    if (doc.size() > (1u << 20)) return std::unexpected(std::string("document larger than 1 MiB"));
  }
}

std::expected<void, std::string> QemuTarget::load_description() {
  auto root = read_xfer("features", "target.xml");
  if (!root) return std::unexpected("cannot read QEMU's target.xml: " + root.error());
  auto flat = flatten_includes(*root, [this](std::string_view name) { return read_xfer("features", name); });
  if (!flat) return std::unexpected("QEMU's target description: " + flat.error());
  auto desc = parse_description(*flat);
  if (!desc) return std::unexpected("QEMU's target description: " + desc.error());
  desc_ = std::move(*desc);
  if (desc_.architecture.find("x86-64") != std::string::npos) enrich_from_amd64(desc_);
  return {};
}

std::vector<ThreadId> QemuTarget::threads() {
  if (threads_stale_ && !running_ && link_.alive()) {
    threads_stale_ = false;
    refresh_threads();
    if (threads_.empty() && current_stop_ && current_stop_->kind == StopKind::stopped)
      threads_.push_back(current_stop_->thread);
  }
  return threads_;
}

void QemuTarget::refresh_threads() {
  std::vector<ThreadId> found;
  auto reply = request("qfThreadInfo");
  while (reply && !reply->empty() && reply->front() == 'm') {
    std::string_view list(*reply);
    list.remove_prefix(1);
    while (!list.empty()) {
      auto part = rsp::split_once(list, ',');
      if (auto t = parse_qemu_thread(part.head)) found.push_back(*t);
      if (!part.found) break;
      list = part.tail;
    }
    reply = request("qsThreadInfo");
  }
  if (!found.empty()) threads_ = std::move(found);
}

std::expected<void, std::string> QemuTarget::probe() {
  // QEMU 7.2 speaks multiprocess thread ids (pPID.TID) when offered; nothing else we offer
  // changes what it sends. It has no QStartNoAckMode: the link stays in ack mode.
  auto supported = request("qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+");
  if (!supported) return std::unexpected("QEMU did not answer qSupported: " + link_.death());
  if (auto size = rsp::parse_hex_u64(feature_value(*supported, "PacketSize")); size && *size >= 256)
    features_.packet_size = std::min<std::size_t>(*size, 1 << 20);
  features_.multiprocess = has_feature(*supported, "multiprocess");
  // qXfer:auxv exists in user mode only; ReverseStep+ only in system mode replaying a recording.
  features_.system_mode = !has_feature(*supported, "qXfer:auxv:read");
  features_.reverse = has_feature(*supported, "ReverseStep") && has_feature(*supported, "ReverseContinue");
  if (auto ack = request("QStartNoAckMode"); ack && *ack == "OK") link_.set_no_ack(true);
  memory_.set_limits({features_.packet_size, options_.page_size});
  // Pipelined m/M (qemu_memory.hpp, README): in system mode reads only where reading ahead is
  // harmless, and writes one at a time (a debug write there can fail within a page). In user
  // mode each unit must reach QEMU in one piece: kept to QEMU 7.2's few-KiB packets.
  if (link_.pipelining_safe(features_.system_mode) && (features_.system_mode || features_.packet_size <= 0x2000)) {
    Pipeline pipeline;
    pipeline.read_window = 32;
    pipeline.write_window = features_.system_mode ? 1 : 8;
    if (features_.system_mode)
      pipeline.may_read_ahead = [this](Addr a, std::size_t n) { return system_memory_.may_read_ahead(a, n); };
    memory_.set_pipeline(std::move(pipeline));
  }
  // p/P answer only once the client has read target.xml (QEMU's gdb_has_xml), so read it first.
  if (auto loaded = load_description(); !loaded) return loaded;
  if (auto vcont = request("vCont?"); vcont && vcont->starts_with("vCont")) {
    features_.vcont = true;
    features_.vcont_actions = vcont->substr(5);
  }
  if (auto att = request("qAttached"); att && (*att == "0" || *att == "1")) features_.attached = *att == "1";
  // Watchpoints exist in system mode only; a probe at address 0 inserts and removes one.
  if (auto w = request("Z2,0,1"); w && *w == "OK") {
    features_.watchpoints = true;
    (void)request("z2,0,1");
  }
  if (features_.system_mode) probe_system();
  if (!features_.system_mode && options_.host_memory) setup_host_memory();
  refresh_threads();
  auto stop = request("?");
  if (!stop) return std::unexpected("QEMU did not answer '?': " + link_.death());
  current_stop_ = parse_stop(*stop);
  if (threads_.empty() && current_stop_->kind == StopKind::stopped) threads_.push_back(current_stop_->thread);
  // The size of QEMU's `g` decides which registers it carries; the rest are read with `p`.
  if (!threads_.empty()) {
    if (auto ec = load_block(concrete(ThreadId::any())))
      return std::unexpected("QEMU did not answer 'g': " + ec.message());
    g_bytes_ = blocks_.begin()->second.bytes.size();
    std::size_t offset = 0;
    for (auto& r : desc_.registers) {
      r.in_g_packet = offset + r.bytes() <= g_bytes_;
      offset += r.bytes();
    }
  }
  return {};
}

// User mode's guest memory straight from QEMU's process (qemu_host_memory.hpp): the QEMU remora
// started, or the one at the other end of a Unix socket (whoever started it; the kernel decides
// whether remora may open its memory). Why not is kept for monitor qemu-stats.
void QemuTarget::setup_host_memory() {
  auto fail = [this](std::string why) { host_memory_note_ = "off: " + std::move(why); };
  // Pages proven readable are the unit of the proofs; QEMU's protection of translated code is per host page.
  if (static_cast<long>(options_.page_size) != ::sysconf(_SC_PAGESIZE)) return fail("guest page size is not the host's");
  auto auxv = read_xfer("auxv", "");
  if (!auxv) return fail("no auxv from QEMU: " + auxv.error());
  if (launched_) return attach_host_memory(launched_->pid, options_.launch->program, *auxv);
  const pid_t pid = link_.peer_pid();
  if (pid <= 0) return fail("QEMU's process is not known (not on this machine, or not visible to remora)");
  // The program QEMU runs: the guest's AT_EXECFN, as the guest was given it (relative to QEMU's
  // working directory if not absolute).
  const std::size_t word = desc_.architecture.find("64") != std::string::npos ? 8 : 4;
  auto execfn = auxv_value(*auxv, word, 31 /* AT_EXECFN */);
  if (!execfn) return fail("no AT_EXECFN in the guest's auxv");
  // The name sits near the top of the stack: read no further than its page.
  std::string packet = "m";
  rsp::append_hex_u64(packet, *execfn);
  packet += ',';
  rsp::append_hex_u64(packet, std::min<Addr>(256, options_.page_size - *execfn % options_.page_size));
  auto reply = request(packet);
  std::string path;
  if (auto bytes = reply ? rsp::decode_hex_bytes(*reply) : std::vector<std::byte>{}; bytes)
    for (std::size_t i = 0; i < bytes->size() && (*bytes)[i] != std::byte{0}; ++i)
      path += static_cast<char>((*bytes)[i]);
  if (path.empty()) return fail("QEMU did not read the program's name");
  if (path.front() != '/') path = "/proc/" + std::to_string(pid) + "/cwd/" + path;
  attach_host_memory(pid, path, *auxv);
}

void QemuTarget::attach_host_memory(pid_t pid, const std::string& program, std::string_view auxv) {
  auto fail = [this](std::string why) { host_memory_note_ = "off: " + std::move(why); };
  auto elf = read_elf_facts(program);
  if (!elf) return fail("cannot read the program's ELF header");
  auto phdr = auxv_value(auxv, elf->word, 3 /* AT_PHDR */);
  if (!phdr) return fail("no AT_PHDR in the guest's auxv");
  const std::size_t length = static_cast<std::size_t>(std::min<Addr>(64, options_.page_size - *phdr % options_.page_size));
  std::vector<std::byte> qemu_bytes(length);
  std::string packet = "m";
  rsp::append_hex_u64(packet, *phdr);
  packet += ',';
  rsp::append_hex_u64(packet, length);
  auto reply = request(packet);
  if (!reply || !rsp::decode_hex_into(*reply, qemu_bytes))
    return fail("QEMU did not read the program headers");
  const std::string maps = cache::read_proc_file("/proc/" + std::to_string(pid) + "/maps");
  for (Addr base : guest_base_candidates(maps, program, *phdr, elf->phoff)) {
    auto view = ProcGuestMemory::open(pid, base);
    if (!view) return fail(view.error());
    std::vector<std::byte> host_bytes(length);
    if ((*view)->read(*phdr, host_bytes) != length || host_bytes != qemu_bytes) continue;
    host_memory_ = std::move(*view);
    memory_.set_host_view(host_memory_.get(), [this] { return threads().size() == 1; });
    std::string hex;
    rsp::append_hex_u64(hex, base);
    host_memory_note_ = "on: /proc/" + std::to_string(pid) + "/mem, guest_base 0x" + hex;
    return;
  }
  fail("no guest_base shows QEMU's bytes");
}

}  // namespace remora::targets::qemu
