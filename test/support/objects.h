// The claims and PVs tests create, as a user (or a provisioner) writes them: one builder for
// each, the test adding what is its own (labels, annotations, a claimRef) to what it returns.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace nfsprov::testing {

// A ReadWriteMany claim of storage; namespace and storageClassName left out when empty.
nlohmann::json claim_object(const std::string& ns, const std::string& name,
                            const std::string& class_name, const std::string& storage = "1Gi");

// A 1Gi ReadWriteMany PV on 127.0.0.1:/export/<name>; storageClassName left out when empty.
nlohmann::json nfs_volume_object(const std::string& name, const std::string& class_name);

}  // namespace nfsprov::testing
