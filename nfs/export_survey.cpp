#include "nfs/export_survey.h"

#include <cerrno>

#include <optional>
#include "nfs/nfs_error.h"

namespace nfsprov::nfs {

namespace {

std::string child_of(std::string_view directory, std::string_view name) {
  return directory.empty() ? std::string(name) : std::string(directory) + "/" + std::string(name);
}

// A directory or entry removed while we look (a pod, another replica) is simply not there.
template <class F>
auto unless_gone(F&& f) -> std::optional<decltype(f())> {
  try {
    return f();
  } catch (const NfsError& e) {
    if (e.error_number() == ENOENT || e.error_number() == ESTALE || e.error_number() == ENOTDIR)
      return std::nullopt;
    throw;
  }
}

}  // namespace

std::vector<SurveyEntry> survey_directories(ExportFiles& client,
                                            const std::vector<std::string>& directories) {
  std::vector<SurveyEntry> found;
  for (const auto& directory : directories) {
    const auto names = unless_gone([&] { return client.list(directory); });
    if (!names) continue;
    for (const auto& name : *names) {
      const std::string path = child_of(directory, name);
      const auto info = unless_gone([&] { return client.stat(path); });
      if (!info || !*info) continue;
      found.push_back({path, (*info)->type, (*info)->changed_ns});
    }
  }
  return found;
}

TreeSize tree_size(ExportFiles& client, std::string_view path, std::uint64_t max_entries,
                   const std::function<bool()>& before_each) {
  TreeSize size;
  const auto may_go_on = [&] {
    if (size.entries < max_entries && (!before_each || before_each())) return true;
    size.complete = false;
    return false;
  };
  std::vector<std::string> pending{std::string(path)};
  while (!pending.empty()) {
    const std::string directory = std::move(pending.back());
    pending.pop_back();
    if (!may_go_on()) return size;
    const auto names = unless_gone([&] { return client.list(directory); });
    if (!names) continue;
    for (const auto& name : *names) {
      if (!may_go_on()) return size;
      ++size.entries;
      const std::string child = child_of(directory, name);
      const auto info = unless_gone([&] { return client.stat(child); });
      if (!info || !*info) continue;
      if ((*info)->type == FileType::regular) size.bytes += (*info)->size;
      if ((*info)->type == FileType::directory) pending.push_back(child);
    }
  }
  return size;
}

}  // namespace nfsprov::nfs
