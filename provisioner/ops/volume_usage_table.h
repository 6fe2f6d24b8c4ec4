// The per-volume usage series (four gauges per volume of ours, labelled namespace,
// persistentvolumeclaim, persistentvolume) as one row per volume, rendered as four metric
// families at scrape time. As four GaugeFamily series a volume kept its three label strings
// four times over, each time in a vector and a map node: about 1.5 KiB per volume of ours
// (issue 18), where a row is about 200 bytes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "provisioner/ops/metrics.h"

namespace nfsprov::ops {

class VolumeUsageTable {
 public:
  enum class Column { used_bytes, used_inodes, requested_bytes, over_request };
  struct Row {
    std::string namespace_;
    std::string claim;
    std::uint64_t used_bytes = 0;
    std::uint64_t used_inodes = 0;
    std::uint64_t requested_bytes = 0;
    bool over = false;
  };

  // The volume's row, replaced (a claim re-bound to the same PV keeps one series).
  void set(std::string_view pv, Row row);
  // The volume is gone: its series are no longer rendered.
  void forget(std::string_view pv);
  // Appends column's samples named name, sorted by label values as a Family's are.
  void render(std::string& out, const std::string& name, Column column) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Row, std::less<>> rows_;  // by PV name
};

// One column of a table as a gauge family of the registry; the table is shared by the four.
class VolumeUsageFamily : public FamilyBase {
 public:
  VolumeUsageFamily(std::string name, std::string help, std::shared_ptr<VolumeUsageTable> table,
                    VolumeUsageTable::Column column);

  const std::shared_ptr<VolumeUsageTable>& table() const { return table_; }

 protected:
  void render_series(std::string& out) const override;

 private:
  std::shared_ptr<VolumeUsageTable> table_;
  VolumeUsageTable::Column column_;
};

}  // namespace nfsprov::ops
