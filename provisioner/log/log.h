// Structured logs: one line per event, a level and key=value fields, e.g.
//   2026-11-25T15:18:28.123Z info msg="provisioned volume" claim=default/www-0 pv=pvc-1
//   duration=12ms
// Never pass a secret (token, key) as a field: nothing here can tell one from a name.
#pragma once

#include <initializer_list>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

namespace nfsprov::log {

enum class Level { error = 0, warning = 1, info = 2, debug = 3 };

struct Field {
  std::string_view key;
  std::string value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <class Number>
  requires std::is_arithmetic_v<Number> Field(std::string_view k, Number v)
      : key(k), value(std::to_string(v)) {}
};

// Formats one line; values with spaces, quotes or '=' are quoted. Pure, for tests.
std::string format_line(std::string_view timestamp, Level level, std::string_view message,
                        std::initializer_list<Field> fields);

// The process's sink. Created once in main and passed down by reference (no global logger).
class Logger {
 public:
  explicit Logger(std::ostream& out, Level level = Level::info) : out_(out), level_(level) {}

  bool enabled(Level level) const { return static_cast<int>(level) <= static_cast<int>(level_); }
  void set_level(Level level) { level_ = level; }
  void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

  void error(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::error, m, f); }
  void warn(std::string_view m, std::initializer_list<Field> f = {}) {
    write(Level::warning, m, f);
  }
  void info(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::info, m, f); }
  void debug(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::debug, m, f); }

 private:
  std::ostream& out_;
  Level level_;
  std::mutex mutex_;
};

std::string_view level_name(Level level);

}  // namespace nfsprov::log
