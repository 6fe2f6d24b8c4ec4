// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
// text exposition format (version 0.0.4). One registry is created in main and passed down;
// there is no default registry.
// Hot path: a series is found once (with()) and then updated with atomics only; callers that
// update often keep the returned reference, which stays valid as long as the registry.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace nfsprov::ops {

// The buckets of the Prometheus client libraries' DefBuckets (seconds).
std::vector<double> default_buckets();

class Counter {
 public:
  // Throws std::invalid_argument for a negative amount: counters only go up.
  void inc(double amount = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void inc() { add(1.0); }
  void dec() { add(-1.0); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // bounds: strictly increasing finite upper bounds; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0.0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, +Inf last
  std::atomic<double> sum_{0.0};
};

enum class MetricType { counter, gauge, histogram };

// Everything one metric name holds: its help, label names and one series per label values.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names,
             MetricType type);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  MetricType type() const { return type_; }
  // Appends the HELP and TYPE lines and every series, sorted by label values.
  void render(std::string& out) const;

 protected:
  virtual void render_series(std::string& out) const = 0;
  void check_arity(const std::vector<std::string>& label_values) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  MetricType type_;
};

template <class Metric>
class Family : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {});

  // The series for these label values (in label_names order), created on first use.
  // Throws std::invalid_argument when the number of values is wrong.
  Metric& with(const std::vector<std::string>& label_values);
  // The series of a family without labels.
  Metric& get() { return with({}); }
  // Drops a series (a volume that is gone), so it is no longer rendered. A reference with()
  // returned for it dangles afterwards: only for families whose callers call with() each time.
  void remove(const std::vector<std::string>& label_values);

 protected:
  void render_series(std::string& out) const override;

 private:
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_;
};

// Defined in metrics.cpp for exactly these three metric types.
extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registering a name again with the same type and labels returns the same family; with a
  // different type or labels, or an invalid metric or label name, throws
  // std::invalid_argument.
  CounterFamily& counter(std::string name, std::string help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  HistogramFamily& histogram(std::string name, std::string help,
                             std::vector<std::string> label_names = {},
                             std::vector<double> bounds = default_buckets());

  // A family of another kind (one that renders series it keeps its own way). Adding a name
  // again with the same kind and labels returns the family registered first (family is
  // dropped); with another, throws std::invalid_argument.
  FamilyBase& add_family(std::unique_ptr<FamilyBase> family);

  // The text exposition format, families sorted by name.
  std::string render() const;

 private:
  template <class F>
  F& add(std::string name, std::string help, std::vector<std::string> label_names, MetricType type,
         std::vector<double> bounds);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<FamilyBase>, std::less<>> families_;
};

// The Content-Type of render()'s output.
inline constexpr std::string_view exposition_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

// Formatting helpers of the exposition format (pure, exposed for tests).
std::string format_value(double value);                  // "1", "0.005", "+Inf", "NaN"
std::string escape_label_value(std::string_view value);  // \\ \" \n
std::string escape_help(std::string_view help);          // \\ \n
// One sample line: name{names[i]="values[i]",...} value.
void write_sample(std::string& out, std::string_view name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, double value);

}  // namespace nfsprov::ops
