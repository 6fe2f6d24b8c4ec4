// Defaults more than one layer states: the flags' (config/settings.h) and those of the parts
// they configure (the controller, the Lease elector, the API client), which tests and tools
// build without flags. Written once here so that a changed default changes everywhere.
#pragma once

#include <chrono>

namespace nfsprov::base::defaults {

// Keys worked at once, at most: one worker waits when idle, more start while keys wait for
// one and end after a minute without work.
inline constexpr int kWorkers = 16;
// The client-side API rate limit: high enough for a burst of 1000 claims.
inline constexpr double kApiQps = 200;
inline constexpr int kApiBurst = 400;
// client-go's leader election defaults.
inline constexpr std::chrono::milliseconds kLeaseDuration{15000};
inline constexpr std::chrono::milliseconds kRenewDeadline{10000};
inline constexpr std::chrono::milliseconds kRetryPeriod{2000};

}  // namespace nfsprov::base::defaults
