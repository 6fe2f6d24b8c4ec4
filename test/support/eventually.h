// eventually: the one way a test waits for something to happen. Polls condition until it
// holds (true) or limit passes (false, after one last look). Never a verdict by itself: wrap
// it in REQUIRE or CHECK, or look at what it returns.
#pragma once

#include <chrono>
#include <functional>

namespace nfsprov::testing {

[[nodiscard]] bool eventually(const std::function<bool()>& condition,
                              std::chrono::milliseconds limit = std::chrono::seconds(30),
                              std::chrono::milliseconds every = std::chrono::milliseconds(20));

}  // namespace nfsprov::testing
