#include "test/apiserver/audit_log.h"

namespace nfsprov::testing::apiserver {

AuditLog::AuditLog(const std::filesystem::path& path) {
  if (!path.empty()) out_.open(path, std::ios::app);
}

void AuditLog::write(const nlohmann::json& entry) {
  std::lock_guard lock(mutex_);
  if (!out_.is_open()) return;
  out_ << entry.dump() << '\n';
  out_.flush();  // readers check the file while the server runs
}

}  // namespace nfsprov::testing::apiserver
