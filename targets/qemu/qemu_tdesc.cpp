#include "targets/qemu/qemu_tdesc.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "targets/arch/amd64.hpp"
#include "targets/arch/tdesc_xml.hpp"

namespace remora::targets::qemu {
namespace {

constexpr int max_include_depth = 8;

// The value of attribute `name` in the tag text `tag` ("<reg name=\"rax\" .../>"), or nullopt.
std::optional<std::string> attribute(std::string_view tag, std::string_view name) {
  std::size_t pos = 0;
  while ((pos = tag.find(name, pos)) != std::string_view::npos) {
    const bool starts = pos > 0 && (tag[pos - 1] == ' ' || tag[pos - 1] == '\t' || tag[pos - 1] == '\n');
    std::size_t eq = pos + name.size();
    while (eq < tag.size() && tag[eq] == ' ') ++eq;
    if (starts && eq + 1 < tag.size() && tag[eq] == '=') {
      std::size_t q = eq + 1;
      while (q < tag.size() && tag[q] == ' ') ++q;
      if (q < tag.size() && (tag[q] == '"' || tag[q] == '\'')) {
        std::size_t end = tag.find(tag[q], q + 1);
        if (end == std::string_view::npos) return std::nullopt;
        return std::string(tag.substr(q + 1, end - q - 1));
      }
    }
    pos += name.size();
  }
  return std::nullopt;
}

std::optional<unsigned> to_unsigned(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return v;
}

std::string strip_comments(std::string_view xml) {
  std::string out;
  std::size_t pos = 0;
  while (pos < xml.size()) {
    std::size_t open = xml.find("<!--", pos);
    if (open == std::string_view::npos) break;
    out.append(xml.substr(pos, open - pos));
    std::size_t close = xml.find("-->", open + 4);
    if (close == std::string_view::npos) return out;
    pos = close + 3;
  }
  if (pos < xml.size()) out.append(xml.substr(pos));
  return out;
}

// An included document without its prolog (<?xml ...?>, <!DOCTYPE ...>) and comments.
std::string root_element(std::string_view doc) {
  std::string text = strip_comments(doc);
  std::size_t pos = 0;
  for (;;) {
    std::size_t lt = text.find('<', pos);
    if (lt == std::string::npos) return {};
    if (text.compare(lt, 2, "<?") == 0 || text.compare(lt, 2, "<!") == 0) {
      pos = text.find('>', lt);
      if (pos == std::string::npos) return {};
      ++pos;
      continue;
    }
    return text.substr(lt);
  }
}

std::expected<std::string, std::string> flatten(std::string_view xml, const FetchAnnex& fetch, int depth) {
  if (depth > max_include_depth) return std::unexpected(std::string("xi:include nested too deeply"));
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    std::size_t inc = xml.find("<xi:include", pos);
    if (inc == std::string_view::npos) break;
    std::size_t end = xml.find("/>", inc);
    if (end == std::string_view::npos) return std::unexpected(std::string("unterminated xi:include"));
    out.append(xml.substr(pos, inc - pos));
    auto href = attribute(xml.substr(inc, end - inc), "href");
    if (!href || href->empty()) return std::unexpected(std::string("xi:include without href"));
    auto doc = fetch(*href);
    if (!doc) return std::unexpected("cannot read " + *href + ": " + doc.error());
    auto inner = flatten(root_element(*doc), fetch, depth + 1);
    if (!inner) return inner;
    out += *inner;
    pos = end + 2;
  }
  out.append(xml.substr(pos));
  return out;
}

}  // namespace

std::expected<std::string, std::string> flatten_includes(std::string_view root, const FetchAnnex& fetch) {
  return flatten(root, fetch, 0);
}

std::expected<TargetDescription, std::string> parse_description(std::string_view flat_xml) {
  std::string xml = strip_comments(flat_xml);
  TargetDescription desc;
  if (auto a = xml.find("<architecture>"); a != std::string::npos) {
    auto e = xml.find("</architecture>", a);
    if (e != std::string::npos) desc.architecture = xml.substr(a + 14, e - a - 14);
  }
  std::string feature;
  unsigned next = 0;
  for (std::size_t pos = 0; (pos = xml.find('<', pos)) != std::string::npos; ++pos) {
    std::size_t end = xml.find('>', pos);
    if (end == std::string::npos) break;
    std::string_view tag(xml.data() + pos, end - pos + 1);
    if (tag.starts_with("<feature") && (tag[8] == ' ' || tag[8] == '>')) {
      feature = attribute(tag, "name").value_or("");
    } else if (tag.starts_with("<reg ")) {
      RegisterInfo r;
      auto name = attribute(tag, "name");
      auto bits = to_unsigned(attribute(tag, "bitsize"));
      if (!name || !bits || *bits == 0) return std::unexpected("bad register element: " + std::string(tag));
      r.name = *name;
      r.bitsize = *bits;
      r.regnum = to_unsigned(attribute(tag, "regnum")).value_or(next);
      r.type = attribute(tag, "type").value_or("int");
      r.group = attribute(tag, "group").value_or("");
      r.feature = feature;
      next = r.regnum + 1;
      desc.registers.push_back(std::move(r));
    }
  }
  std::sort(desc.registers.begin(), desc.registers.end(),
            [](const RegisterInfo& a, const RegisterInfo& b) { return a.regnum < b.regnum; });
  for (std::size_t i = 0; i < desc.registers.size(); ++i)
    if (desc.registers[i].regnum != i)
      return std::unexpected("register numbers are not dense at " + desc.registers[i].name);
  if (desc.registers.empty()) return std::unexpected(std::string("the description names no registers"));
  desc.xml["target.xml"] = std::string(flat_xml);
  return desc;
}

void enrich_from_amd64(TargetDescription& desc) {
  Amd64Features all;
  all.avx = true;
  all.avx512 = true;
  all.pkeys = true;
  // Built once: the full table with all its XML cost more than the rest of a QEMU description's
  // parsing, and the qemu_replies fuzzer enriches one description per input.
  static const TargetDescription table = amd64_description(all);
  for (auto& r : desc.registers) {
    const RegisterInfo* known = find_register(table, r.name);
    if (!known) {
      r.lldb_set = "System Registers";  // QEMU's k_gs_base, cr*, efer: not in lldb-server's sets
      continue;
    }
    r.generic = known->generic;
    r.dwarf = known->dwarf;
    r.ehframe = known->ehframe;
    r.lldb_encoding = known->lldb_encoding;
    r.lldb_format = known->lldb_format;
    r.lldb_set = known->lldb_set;
    if (r.group.empty()) r.group = known->group;
  }
}

}  // namespace remora::targets::qemu
