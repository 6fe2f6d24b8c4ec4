#include "provisioner/kube/line_splitter.h"

namespace nfsprov::kube {

bool LineSplitter::feed(std::string_view chunk, const LineHandler& on_line) {
  while (!chunk.empty()) {
    auto newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(chunk);
      return true;
    }
    std::string_view piece = chunk.substr(0, newline);
    chunk.remove_prefix(newline + 1);
    std::string line;
    std::string_view whole = piece;
    if (!partial_.empty()) {
      partial_.append(piece);
      line.swap(partial_);
      whole = line;
    }
    if (!whole.empty() && whole.back() == '\r') whole.remove_suffix(1);
    if (!whole.empty() && !on_line(whole)) return false;
  }
  return true;
}

}  // namespace nfsprov::kube
