// The objects of the scale benchmarks (bench_scale, bench_scale_processes): claims made in
// bulk on the real API server, and another provisioner's claims as a real cluster holds them,
// each Bound to a CSI volume of its own.
#pragma once

#include <string>

#include "provisioner/kube/api_client.h"

namespace nfsprov::bench {

// count claims <prefix>0.. of class_name in namespace ns, 8 at a time. handed_to: the
// storage-provisioner annotations kube-controller-manager would set (with thousands of pending
// claims of a provisioner that does not run, it takes minutes to hand new ones over, which is
// not what is measured).
void create_claims(kube::ApiClient& api, const std::string& ns, const std::string& prefix,
                   int count, const std::string& class_name, const std::string& handed_to = {});

// count claims <prefix>0.. of class_name, each with a PersistentVolume as the CSI driver
// `provisioner` makes one (csi source, node affinity, its finalizer and annotations), the two
// Bound to each other as kube-controller-manager binds them (bind-completed, the claim's uid
// in the volume's claimRef, both phases Bound). What a cluster of 50,000 claims of another
// provisioner holds: as many volumes as claims.
void create_bound_claims(kube::ApiClient& api, const std::string& ns, const std::string& prefix,
                         int count, const std::string& class_name, const std::string& provisioner);

// The PersistentVolumes of class_name: a provisioner's work done (binding them is
// kube-controller-manager's, which in a cluster of thousands of claims takes minutes of its own).
std::size_t volumes_of(kube::ApiClient& api, const std::string& class_name);

}  // namespace nfsprov::bench
