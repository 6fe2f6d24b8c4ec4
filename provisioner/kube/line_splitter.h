// Splits a byte stream that arrives in arbitrary chunks into newline-terminated lines, as a
// watch body does: one JSON event per line, lines cut anywhere by TCP.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace nfsprov::kube {

class LineSplitter {
 public:
  using LineHandler = std::function<bool(std::string_view line)>;
  // Calls on_line for each complete non-empty line; stops and returns false as soon as
  // on_line does. A partial last line is kept for the next chunk.
  bool feed(std::string_view chunk, const LineHandler& on_line);
  std::size_t pending() const { return partial_.size(); }

 private:
  std::string partial_;
};

}  // namespace nfsprov::kube
