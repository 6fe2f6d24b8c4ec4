// Base64 as kubeconfig "-data" fields carry it (standard alphabet, padding, line breaks allowed).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nfsprov::kube {

// nullopt when the text is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace nfsprov::kube
