#include "provisioner/log/log.h"

#include <chrono>

#include "provisioner/base/text.h"

namespace nfsprov::log {

namespace {

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
      return true;
  }
  return false;
}

void append_value(std::string& line, std::string_view v) {
  if (!needs_quotes(v)) {
    line += v;
    return;
  }
  line += '"';
  for (char c : v) {
    switch (c) {
      case '"':
        line += "\\\"";
        break;
      case '\\':
        line += "\\\\";
        break;
      case '\n':
        line += "\\n";
        break;
      case '\t':
        line += "\\t";
        break;
      default:
        // Other control bytes (a NUL from a hostile annotation) are shown, not written raw.
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char hex[] = "0123456789abcdef";
          line += "\\x";
          line += hex[(c >> 4) & 0xf];
          line += hex[c & 0xf];
        } else {
          line += c;
        }
    }
  }
  line += '"';
}

}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::error:
      return "error";
    case Level::warning:
      return "warning";
    case Level::info:
      return "info";
    case Level::debug:
      return "debug";
  }
  return "info";
}

std::string format_line(std::string_view timestamp, Level level, std::string_view message,
                        std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(128);
  line += timestamp;
  line += ' ';
  line += level_name(level);
  line += " msg=";
  append_value(line, message);
  for (const Field& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.value);
  }
  line += '\n';
  return line;
}

void Logger::write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  std::string line =
      format_line(base::utc_timestamp(std::chrono::system_clock::now(), 3), level, message, fields);
  std::lock_guard lock(mutex_);
  out_ << line << std::flush;
}

}  // namespace nfsprov::log
