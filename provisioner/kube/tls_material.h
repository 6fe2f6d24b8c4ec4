// OpenSSL objects built from in-memory PEM (kubeconfig "-data" fields, service-account CA),
// each owned by a unique_ptr with its OpenSSL free function.
#pragma once

#include <memory>
#include <string>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace nfsprov::kube {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreFree>;

// Each throws ConfigError naming what could not be parsed.
X509StorePtr make_ca_store(const std::string& pem);  // every certificate in the bundle
X509Ptr parse_certificate(const std::string& pem);   // the first (leaf) certificate
EvpPkeyPtr parse_private_key(const std::string& pem);

// The reason OpenSSL gives for a failed certificate verification.
std::string verify_error_text(long verify_result);

}  // namespace nfsprov::kube
