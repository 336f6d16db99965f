#include "targets/arch/tdesc_xml.hpp"

namespace remora::targets::tdesc {
namespace {

// gdb's own documents start this way; gdb resolves the DTD from its built-in copy.
constexpr std::string_view kFeatureProlog =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n";
constexpr std::string_view kTargetProlog =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n";

std::string attr(std::string_view name, std::string_view value) {
  std::string out = " ";
  out += name;
  out += "=\"";
  out += xml_escape(value);
  out += '"';
  return out;
}

std::string attr(std::string_view name, unsigned value) { return attr(name, std::to_string(value)); }

void append_type(std::string& out, const TypeDef& t) {
  switch (t.kind) {
    case TypeDef::Kind::vector:
      out += "  <vector" + attr("id", t.id) + attr("type", t.element_type) + attr("count", t.count) +
             "/>\n";
      return;
    case TypeDef::Kind::union_:
      out += "  <union" + attr("id", t.id) + ">\n";
      for (const auto& f : t.fields) out += "    <field" + attr("name", f.name) + attr("type", f.type) + "/>\n";
      out += "  </union>\n";
      return;
    case TypeDef::Kind::flags:
      out += "  <flags" + attr("id", t.id) + attr("size", t.size) + ">\n";
      for (const auto& f : t.flag_fields)
        out += "    <field" + attr("name", f.name) + attr("start", f.start) + attr("end", f.end) + "/>\n";
      out += "  </flags>\n";
      return;
  }
}

void append_reg(std::string& out, const RegisterInfo& r) {
  // regnum on every register (as gdbserver does) so numbering never depends on document order.
  out += "  <reg" + attr("name", r.name) + attr("bitsize", r.bitsize) + attr("type", r.type) +
         attr("regnum", r.regnum);
  if (!r.group.empty()) out += attr("group", r.group);
  out += "/>\n";
}

}  // namespace


std::string feature_xml(const FeatureDoc& doc, std::span<const RegisterInfo> registers) {
  std::string out{kFeatureProlog};
  out += "<feature" + attr("name", doc.name) + ">\n";
  for (const auto& t : doc.types) append_type(out, t);
  for (const auto& r : registers)
    if (r.feature == doc.name) append_reg(out, r);
  out += "</feature>\n";
  return out;
}

std::string target_xml(std::string_view architecture, std::string_view osabi,
                       std::span<const FeatureDoc> features) {
  std::string out{kTargetProlog};
  // gdb's expat-based parser matches the literal element name "xi:include"; the namespace
  // declaration is for strict XML tools (xmllint, lldb's libxml2).
  out += "<target version=\"1.0\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n";
  out += "  <architecture>" + xml_escape(architecture) + "</architecture>\n";
  if (!osabi.empty()) out += "  <osabi>" + xml_escape(osabi) + "</osabi>\n";
  for (const auto& f : features) out += "  <xi:include" + attr("href", f.annex) + "/>\n";
  out += "</target>\n";
  return out;
}

void generate_xml(TargetDescription& desc, std::span<const FeatureDoc> features) {
  desc.xml.clear();
  desc.xml["target.xml"] = target_xml(desc.architecture, desc.osabi, features);
  for (const auto& f : features) desc.xml[f.annex] = feature_xml(f, desc.registers);
}

}  // namespace remora::targets::tdesc

namespace remora::targets {
namespace {

constexpr std::string_view kInclude = "<xi:include href=\"";

// The <feature ...>...</feature> element of a feature document, without prolog and doctype.
std::string_view feature_element(std::string_view doc) {
  auto begin = doc.find("<feature");
  auto end = doc.rfind("</feature>");
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) return {};
  return doc.substr(begin, end + std::string_view("</feature>").size() - begin);
}

// The annex an escaped href names; our generator only escapes the five XML entities.
std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    auto semi = text.find(';', i);
    if (semi == std::string_view::npos) {
      out += text.substr(i);
      break;
    }
    auto entity = text.substr(i, semi - i + 1);
    if (entity == "&amp;") out += '&';
    else if (entity == "&lt;") out += '<';
    else if (entity == "&gt;") out += '>';
    else if (entity == "&quot;") out += '"';
    else if (entity == "&apos;") out += '\'';
    else out += entity;
    i = semi;
  }
  return out;
}

}  // namespace

std::string flatten_target_xml(const TargetDescription& desc) {
  auto root_it = desc.xml.find("target.xml");
  if (root_it == desc.xml.end()) return {};
  std::string_view root = root_it->second;
  std::string out;
  out.reserve(root.size() + 16 * 1024);
  std::size_t pos = 0;
  while (true) {
    auto inc = root.find(kInclude, pos);
    if (inc == std::string_view::npos) break;
    auto href_begin = inc + kInclude.size();
    auto href_end = root.find('"', href_begin);
    auto close = root.find("/>", href_end);
    if (href_end == std::string_view::npos || close == std::string_view::npos) break;
    out += root.substr(pos, inc - pos);
    auto doc = desc.xml.find(unescape(root.substr(href_begin, href_end - href_begin)));
    if (doc != desc.xml.end()) out += feature_element(doc->second);
    pos = close + 2;
  }
  out += root.substr(pos);
  return out;
}

const RegisterInfo* find_register(const TargetDescription& desc, std::string_view name) {
  for (const auto& r : desc.registers)
    if (r.name == name) return &r;
  return nullptr;
}

}  // namespace remora::targets
