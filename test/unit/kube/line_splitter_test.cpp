// Watch lines split across chunks (provisioner/kube/line_splitter.h).
#include <catch2/catch.hpp>

#include "provisioner/kube/line_splitter.h"

using namespace nfsprov::kube;

TEST_CASE("watch lines split across chunks arrive whole, one by one") {
  LineSplitter splitter;
  std::vector<std::string> lines;
  auto collect = [&](std::string_view l) {
    lines.emplace_back(l);
    return true;
  };
  CHECK(splitter.feed("{\"a\":", collect));
  CHECK(lines.empty());
  CHECK(splitter.feed("1}\n{\"b\":2}\r\n\n{\"c\"", collect));
  CHECK(lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
  CHECK(splitter.pending() == 4);
  CHECK(splitter.feed(":3}\n", collect));
  CHECK(lines.back() == "{\"c\":3}");
  CHECK(splitter.pending() == 0);
  int seen = 0;
  CHECK_FALSE(splitter.feed("x\ny\n", [&](std::string_view) { return ++seen < 1; }));
  CHECK(seen == 1);
}
