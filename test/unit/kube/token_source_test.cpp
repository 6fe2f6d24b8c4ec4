// The token file re-read when it changes (provisioner/kube/token_source.h).
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include "provisioner/kube/token_source.h"
#include "test/support/temp_dir.h"

using namespace nfsprov::kube;
using namespace std::chrono_literals;

TEST_CASE("the token file is re-read when it changes, at most once a second") {
  const nfsprov::testing::TempDir dir("np-token");
  const auto path = dir.path() / "token";
  std::ofstream(path) << "first\n";
  std::chrono::steady_clock::time_point now{};  // moves only when the test says so
  TokenSource tokens("static", path, [&now] { return now; });
  CHECK(tokens.current() == "first");
  std::ofstream(path) << "second-longer\n";
  CHECK(tokens.current() == "first");  // checked less than a second ago
  now += 1100ms;
  CHECK(tokens.current() == "second-longer");
  std::ofstream(path) << "third-longerr\n";  // same size: a forced reload still sees it
  CHECK(tokens.reload());
  CHECK(tokens.current() == "third-longerr");
  TokenSource fixed("static", "");
  CHECK(fixed.current() == "static");
  CHECK_FALSE(fixed.reload());
}
