#include "targets/ptrace/thread_list.hpp"

#include <algorithm>

namespace remora::targets::ptrace {

Thread& ThreadList::add(pid_t tid, pid_t pid) {
  static const XstateLayout layout = probe_xstate_layout();
  if (Thread* existing = find(tid)) return *existing;
  threads_.push_back(std::make_unique<Thread>(tid, pid, layout));
  return *threads_.back();
}

Thread* ThreadList::find(pid_t tid) {
  for (auto& t : threads_)
    if (t->tid == tid) return t.get();
  return nullptr;
}

void ThreadList::remove(pid_t tid) {
  std::erase_if(threads_, [tid](const auto& t) { return t->tid == tid; });
}

std::vector<pid_t> ThreadList::tids() const {
  std::vector<pid_t> out;
  out.reserve(threads_.size());
  for (const auto& t : threads_) out.push_back(t->tid);
  return out;
}

bool ThreadList::any_running() const {
  return std::any_of(threads_.begin(), threads_.end(), [](const auto& t) { return t->running; });
}

bool ThreadList::any_of_process(pid_t pid) const {
  return std::any_of(threads_.begin(), threads_.end(), [pid](const auto& t) { return t->pid == pid; });
}

}  // namespace remora::targets::ptrace
