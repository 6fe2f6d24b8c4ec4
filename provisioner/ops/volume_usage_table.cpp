#include "provisioner/ops/volume_usage_table.h"

#include <algorithm>
#include <vector>

namespace nfsprov::ops {

namespace {

const std::vector<std::string>& usage_label_names() {
  static const std::vector<std::string> names{"namespace", "persistentvolumeclaim",
                                              "persistentvolume"};
  return names;
}

double value_of(const VolumeUsageTable::Row& row, VolumeUsageTable::Column column) {
  switch (column) {
    case VolumeUsageTable::Column::used_bytes:
      return static_cast<double>(row.used_bytes);
    case VolumeUsageTable::Column::used_inodes:
      return static_cast<double>(row.used_inodes);
    case VolumeUsageTable::Column::requested_bytes:
      return static_cast<double>(row.requested_bytes);
    case VolumeUsageTable::Column::over_request:
      return row.over ? 1.0 : 0.0;
  }
  return 0.0;
}

}  // namespace

void VolumeUsageTable::set(std::string_view pv, Row row) {
  std::lock_guard lock(mutex_);
  if (auto found = rows_.find(pv); found != rows_.end())
    found->second = std::move(row);
  else
    rows_.emplace(std::string(pv), std::move(row));
}

void VolumeUsageTable::forget(std::string_view pv) {
  std::lock_guard lock(mutex_);
  if (auto found = rows_.find(pv); found != rows_.end()) rows_.erase(found);
}

void VolumeUsageTable::render(std::string& out, const std::string& name, Column column) const {
  std::lock_guard lock(mutex_);
  // In label order (namespace, claim, PV), as a Family renders its series.
  std::vector<std::pair<std::vector<std::string>, const Row*>> series;
  series.reserve(rows_.size());
  for (const auto& [pv, row] : rows_) series.push_back({{row.namespace_, row.claim, pv}, &row});
  std::sort(series.begin(), series.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [labels, row] : series)
    write_sample(out, name, usage_label_names(), labels, value_of(*row, column));
}

VolumeUsageFamily::VolumeUsageFamily(std::string name, std::string help,
                                     std::shared_ptr<VolumeUsageTable> table,
                                     VolumeUsageTable::Column column)
    : FamilyBase(std::move(name), std::move(help), usage_label_names(), MetricType::gauge),
      table_(std::move(table)),
      column_(column) {}

void VolumeUsageFamily::render_series(std::string& out) const {
  table_->render(out, name(), column_);
}

}  // namespace nfsprov::ops
