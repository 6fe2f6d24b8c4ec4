// A planner's "no": an expected outcome (bad user input, unsupported claim), not an error.
// The controller turns it into a Warning Event and does not retry until the object changes.
#pragma once

#include <string>
#include <variant>

namespace nfsprov::core {

struct Refusal {
  std::string reason;   // CamelCase cause, e.g. "InvalidParameter"; fit for logs and metrics
  std::string message;  // one sentence for the Event: what is wrong and how to fix it

  bool operator==(const Refusal&) const = default;
};

// Either the planned value or the reason there is none. Use std::get_if<T> /
// std::holds_alternative.
template <class T>
using Outcome = std::variant<T, Refusal>;

}  // namespace nfsprov::core
