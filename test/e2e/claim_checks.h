// What a user sees of many claims at once, for the tests that provision bursts under faults:
// how many are Bound, and the full "exactly one PV and one directory per claim" check.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "test/e2e/e2e_env.h"

namespace nfsprov::e2e {

std::size_t pv_count(E2eEnv& env);
std::size_t bound_count(E2eEnv& env, const std::string& ns);
// Warning Events about claims or volumes in ns, as "name: reason: message".
std::vector<std::string> volume_warnings(E2eEnv& env, const std::string& ns);

// Everything a user can see, once every claim of ns is Bound (waits up to 40 s): each claim on
// exactly its own PV, no PV beyond the claims', one directory per claim and nothing else on the
// export, no Warning event. Reports through Catch2 (CHECK / FAIL).
void check_exactly_one_each(E2eEnv& env, const std::string& ns, std::size_t claims);

}  // namespace nfsprov::e2e
