#include "provisioner/kube/tls_material.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "provisioner/kube/kube_config.h"

namespace nfsprov::kube {
namespace {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memory_bio(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw ConfigError("TLS: out of memory");
  return bio;
}

}  // namespace

X509StorePtr make_ca_store(const std::string& pem) {
  X509StorePtr store(X509_STORE_new());
  if (!store) throw ConfigError("TLS: out of memory");
  auto bio = memory_bio(pem);
  int count = 0;
  while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    if (X509_STORE_add_cert(store.get(), cert.get()) == 1) ++count;
  }
  ERR_clear_error();  // the loop ends on a "no start line" error by design
  if (count == 0) throw ConfigError("TLS: the certificate authority holds no PEM certificate");
  return store;
}

X509Ptr parse_certificate(const std::string& pem) {
  auto bio = memory_bio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!cert) throw ConfigError("TLS: the client certificate is not a PEM certificate");
  return cert;
}

EvpPkeyPtr parse_private_key(const std::string& pem) {
  auto bio = memory_bio(pem);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key) throw ConfigError("TLS: the client key is not a PEM private key");
  return key;
}

std::string verify_error_text(long verify_result) {
  return X509_verify_cert_error_string(verify_result);
}

}  // namespace nfsprov::kube
