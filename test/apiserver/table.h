// The meta.k8s.io/v1 Table that `kubectl get` asks for, with the columns the real server
// prints for each kind.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test/apiserver/resource_table.h"

namespace nfsprov::testing::apiserver {

bool wants_table(const std::string& accept);
nlohmann::json to_table(const ResourceType& type, const std::vector<nlohmann::json>& objects,
                        const std::string& resource_version);

}  // namespace nfsprov::testing::apiserver
