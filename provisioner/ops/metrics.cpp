#include "provisioner/ops/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <typeinfo>

namespace nfsprov::ops {

namespace {

bool valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

// `name{a="x",b="y"` without the closing brace, so histograms can append le.
void open_labels(std::string& out, std::string_view name, const std::vector<std::string>& names,
                 const std::vector<std::string>& values) {
  out += name;
  if (names.empty()) return;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
}

void write_sample_line(std::string& out, std::string_view name,
                       const std::vector<std::string>& names,
                       const std::vector<std::string>& values, double value) {
  open_labels(out, name, names, values);
  if (!names.empty()) out += '}';
  out += ' ';
  out += format_value(value);
  out += '\n';
}

void atomic_add(std::atomic<double>& target, double amount) {
  target.fetch_add(amount, std::memory_order_relaxed);
}

}  // namespace

std::vector<double> default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void write_sample(std::string& out, std::string_view name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, double value) {
  write_sample_line(out, name, names, values, value);
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

namespace {

// The exposition format escapes backslash and newline everywhere, and the double quote only
// inside label values (HELP text is not quoted).
std::string escape_text(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  return escape_text(value, true);
}

std::string escape_help(std::string_view help) {
  return escape_text(help, false);
}

void Counter::inc(double amount) {
  if (amount < 0) throw std::invalid_argument("a counter cannot decrease");
  atomic_add(value_, amount);
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
    }
  }
}

void Histogram::observe(double value) {
  // Buckets count only their own range; the snapshot accumulates them.
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, value);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snap;
  snap.cumulative.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snap.cumulative.push_back(running);
  }
  // Count comes from the buckets so _count always equals the +Inf bucket in one scrape.
  snap.count = running;
  snap.sum = sum_.load(std::memory_order_relaxed);
  return snap;
}

FamilyBase::FamilyBase(std::string name, std::string help, std::vector<std::string> label_names,
                       MetricType type)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      type_(type) {
  if (!valid_name(name_, true)) throw std::invalid_argument("invalid metric name: " + name_);
  for (const auto& label : label_names_) {
    if (!valid_name(label, false) || label.starts_with("__")) {
      throw std::invalid_argument("invalid label name '" + label + "' for " + name_);
    }
    if (type_ == MetricType::histogram && label == "le") {
      throw std::invalid_argument("histogram " + name_ + " cannot have a label named le");
    }
  }
}

void FamilyBase::render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  out += escape_help(help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type_name(type_);
  out += '\n';
  render_series(out);
}

void FamilyBase::check_arity(const std::vector<std::string>& label_values) const {
  if (label_values.size() != label_names_.size()) {
    throw std::invalid_argument(name_ + " takes " + std::to_string(label_names_.size()) +
                                " label values, got " + std::to_string(label_values.size()));
  }
}

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> bounds)
    : FamilyBase(std::move(name), std::move(help), std::move(label_names),
                 std::is_same_v<Metric, Counter> ? MetricType::counter
                 : std::is_same_v<Metric, Gauge> ? MetricType::gauge
                                                 : MetricType::histogram),
      bounds_(std::move(bounds)) {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    Histogram validate(bounds_);  // reject bad bounds at registration, not at first use
  }
}

template <class Metric>
Metric& Family<Metric>::with(const std::vector<std::string>& label_values) {
  check_arity(label_values);
  std::lock_guard lock(mutex_);
  auto found = series_.find(label_values);
  if (found != series_.end()) return *found->second;
  std::unique_ptr<Metric> metric;
  if constexpr (std::is_same_v<Metric, Histogram>) {
    metric = std::make_unique<Histogram>(bounds_);
  } else {
    metric = std::make_unique<Metric>();
  }
  return *series_.emplace(label_values, std::move(metric)).first->second;
}

template <class Metric>
void Family<Metric>::remove(const std::vector<std::string>& label_values) {
  std::lock_guard lock(mutex_);
  series_.erase(label_values);
}

template <class Metric>
void Family<Metric>::render_series(std::string& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, metric] : series_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const auto snap = metric->snapshot();
      const std::string bucket_name = name() + "_bucket";
      for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
        open_labels(out, bucket_name, label_names(), values);
        out += label_names().empty() ? "{" : ",";
        out += "le=\"";
        out +=
            format_value(i < bounds_.size() ? bounds_[i] : std::numeric_limits<double>::infinity());
        out += "\"} ";
        out += std::to_string(snap.cumulative[i]);
        out += '\n';
      }
      write_sample(out, name() + "_sum", label_names(), values, snap.sum);
      write_sample(out, name() + "_count", label_names(), values, static_cast<double>(snap.count));
    } else {
      write_sample(out, name(), label_names(), values, metric->value());
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <class F>
F& MetricsRegistry::add(std::string name, std::string help, std::vector<std::string> label_names,
                        MetricType type, std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  auto found = families_.find(name);
  if (found != families_.end()) {
    auto* existing = dynamic_cast<F*>(found->second.get());
    if (existing == nullptr || existing->type() != type || existing->label_names() != label_names) {
      throw std::invalid_argument("metric " + name +
                                  " is already registered with another type or labels");
    }
    return *existing;
  }
  std::unique_ptr<F> family;
  if constexpr (std::is_same_v<F, HistogramFamily>) {
    family = std::make_unique<F>(name, std::move(help), std::move(label_names), std::move(bounds));
  } else {
    family = std::make_unique<F>(name, std::move(help), std::move(label_names));
  }
  F& ref = *family;
  families_.emplace(std::move(name), std::move(family));
  return ref;
}

CounterFamily& MetricsRegistry::counter(std::string name, std::string help,
                                        std::vector<std::string> label_names) {
  return add<CounterFamily>(std::move(name), std::move(help), std::move(label_names),
                            MetricType::counter, {});
}

GaugeFamily& MetricsRegistry::gauge(std::string name, std::string help,
                                    std::vector<std::string> label_names) {
  return add<GaugeFamily>(std::move(name), std::move(help), std::move(label_names),
                          MetricType::gauge, {});
}

HistogramFamily& MetricsRegistry::histogram(std::string name, std::string help,
                                            std::vector<std::string> label_names,
                                            std::vector<double> bounds) {
  return add<HistogramFamily>(std::move(name), std::move(help), std::move(label_names),
                              MetricType::histogram, std::move(bounds));
}

FamilyBase& MetricsRegistry::add_family(std::unique_ptr<FamilyBase> family) {
  std::lock_guard lock(mutex_);
  if (const auto found = families_.find(family->name()); found != families_.end()) {
    const FamilyBase& existing = *found->second;
    const FamilyBase& candidate = *family;
    if (typeid(existing) != typeid(candidate) || existing.type() != family->type() ||
        existing.label_names() != family->label_names())
      throw std::invalid_argument("metric " + family->name() +
                                  " is already registered with another kind or labels");
    return *found->second;
  }
  FamilyBase& ref = *family;
  families_.emplace(family->name(), std::move(family));
  return ref;
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) family->render(out);
  return out;
}

}  // namespace nfsprov::ops
