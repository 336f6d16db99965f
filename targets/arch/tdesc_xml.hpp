// Generates GDB target-description XML (gdb/features/gdb-target.dtd) from a register table, so
// the registers a backend serves and the XML a client reads can never disagree.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "targets/api/registers.hpp"
#include "targets/api/xml_text.hpp"

namespace remora::targets::tdesc {

struct FlagField {
  std::string name;
  unsigned start = 0;
  unsigned end = 0;
};

struct UnionField {
  std::string name;
  std::string type;
};

// One user-defined type of a feature document: <vector>, <union> or <flags>.
struct TypeDef {
  enum class Kind { vector, union_, flags };
  Kind kind = Kind::vector;
  std::string id;
  std::string element_type;  // vector
  unsigned count = 0;        // vector
  std::vector<UnionField> fields;     // union
  unsigned size = 0;                  // flags: size in bytes
  std::vector<FlagField> flag_fields; // flags
};

// A feature document: its annex name (what qXfer:features:read asks for), its feature name and
// the types its registers use, in dependency order (a type only names types defined before it).
struct FeatureDoc {
  std::string annex;
  std::string name;
  std::vector<TypeDef> types;
};

// The feature's document; `registers` are the description's registers whose `feature` is
// `doc.name` (the others are skipped).
std::string feature_xml(const FeatureDoc& doc, std::span<const RegisterInfo> registers);

// The target.xml root: architecture, osabi (when non-empty) and one xi:include per annex.
std::string target_xml(std::string_view architecture, std::string_view osabi,
                       std::span<const FeatureDoc> features);

// Fills desc.xml with target.xml and one document per feature.
void generate_xml(TargetDescription& desc, std::span<const FeatureDoc> features);

using targets::xml_escape;  // targets/api/xml_text.hpp

}  // namespace remora::targets::tdesc

namespace remora::targets {

// One document with every xi:include of desc.xml["target.xml"] replaced by the <feature>
// element of the included annex, for clients without XInclude support. An include whose annex
// is missing is dropped (the result is still well-formed).
std::string flatten_target_xml(const TargetDescription& desc);

// The register called `name`, or nullptr.
const RegisterInfo* find_register(const TargetDescription& desc, std::string_view name);

}  // namespace remora::targets
