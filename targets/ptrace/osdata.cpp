#include "targets/ptrace/osdata.hpp"

#include <pwd.h>
#include <sys/types.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <vector>

#include "targets/api/xml_text.hpp"
#include "targets/ptrace/proc_files.hpp"

namespace remora::targets::ptrace {
namespace {

struct Column {
  std::string_view name;
  std::string value;
};


std::string document(std::string_view type, const std::vector<std::vector<Column>>& items) {
  std::string out = "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"osdata.dtd\">\n<osdata type=\"";
  out.append(type).append("\">\n");
  for (const auto& item : items) {
    out += "<item>\n";
    for (const auto& c : item) {
      out.append("<column name=\"").append(c.name).append("\">");
      append_xml_escaped(out, c.value);
      out += "</column>\n";
    }
    out += "</item>\n";
  }
  return out + "</osdata>\n";
}

std::string user_of(pid_t pid) {
  auto status = read_proc_file(pid, "status");
  if (!status) return {};
  std::istringstream in(*status);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("Uid:")) continue;
    const auto uid = static_cast<uid_t>(std::stoul(line.substr(4)));
    passwd entry{};
    passwd* found = nullptr;
    char buf[1024];
    if (::getpwuid_r(uid, &entry, buf, sizeof buf, &found) == 0 && found != nullptr) return found->pw_name;
    return std::to_string(uid);
  }
  return {};
}

// argv joined by spaces, as gdbserver shows it; a kernel thread has none: its name then.
std::string command_of(pid_t pid) {
  auto cmdline = read_proc_file(pid, "cmdline");
  if (cmdline && !cmdline->empty()) {
    while (!cmdline->empty() && cmdline->back() == '\0') cmdline->pop_back();
    std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
    return *cmdline;
  }
  return task_name(pid, pid);
}

// The CPUs the process's threads last ran on (field 39 of each task's stat), comma-separated.
std::string cores_of(pid_t pid) {
  std::set<int> cores;
  for (pid_t tid : list_tasks(pid)) {
    auto stat = read_proc_file(pid, "task/" + std::to_string(tid) + "/stat");
    if (!stat) continue;
    const auto paren = stat->rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat->substr(paren + 2));
    std::string field;
    for (int i = 3; i <= 39 && fields >> field; ++i)
      if (i == 39) cores.insert(std::atoi(field.c_str()));
  }
  std::string out;
  for (int c : cores) out.append(out.empty() ? "" : ",").append(std::to_string(c));
  return out;
}

std::string processes() {
  std::vector<std::vector<Column>> items;
  for (pid_t pid : list_processes())
    items.push_back({{"pid", std::to_string(pid)}, {"user", user_of(pid)}, {"command", command_of(pid)},
                     {"cores", cores_of(pid)}});
  return document("processes", items);
}

std::string types() {
  return document("types", {{{"Type", "processes"}, {"Description", "Listing of all processes"}, {"Title", "Processes"}}});
}

}  // namespace

std::optional<std::string> osdata_document(std::string_view annex) {
  if (annex.empty() || annex == "types") return types();
  if (annex == "processes") return processes();
  return std::nullopt;
}

}  // namespace remora::targets::ptrace
