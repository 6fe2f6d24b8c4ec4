// Ports and "host:port" addresses, decided in one place: --metrics-address is checked by the
// settings and bound by the health server, a kubeconfig's server port is checked when it is
// loaded and again when the client splits the URL, and a class's nfsPort/mountPort and a PV's
// recorded ports are judged by the planners; the parsers had drifted apart.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace nfsprov::base {

// A whole number written in decimal digits only, at most max: no sign, no space, no empty
// text (from_chars alone would take "-0"); leading zeros allowed, as Go's parsers allow them.
// nullopt otherwise. Every count, port, id and delay the provisioner reads is judged by this.
inline std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// A TCP port, 0 to 65535 (parse_decimal). Callers that connect (rather than listen) refuse 0
// themselves.
inline std::optional<int> parse_port(std::string_view text) {
  const auto port = parse_decimal(text, 65535);
  if (!port) return std::nullopt;
  return static_cast<int>(*port);
}

struct HostPort {
  std::string host;  // as written, an IPv6 address without brackets; "" for ":8080"
  int port = 0;      // 0: any free port
};

// "host:port", ":port" or "[v6]:port": what Go's net.Listen takes (less service names), so
// "::1:8080" needs brackets. Throws std::invalid_argument whose what() is only the reason;
// callers name the text and where it came from. "" is an error here: callers that read an
// empty address as "off" decide that before calling.
inline HostPort parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("missing ']'");
    host = text.substr(1, close - 1);
    if (host.empty()) throw std::invalid_argument("empty IPv6 address");
    if (close + 1 >= text.size() || text[close + 1] != ':')
      throw std::invalid_argument("expected [address]:port");
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      throw std::invalid_argument("expected host:port or :port, e.g. :8080");
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos)
      throw std::invalid_argument("write IPv6 addresses as [address]:port");
    port_text = text.substr(colon + 1);
  }
  if (port_text.empty()) throw std::invalid_argument("missing port");
  const auto port = parse_port(port_text);
  if (!port) throw std::invalid_argument("port must be a number from 0 to 65535");
  return HostPort{std::string(host), *port};
}

// The authority of an http(s) URL (between "://" and the first '/'), split as the kubeconfig
// loader checks it and the API client connects to it: "[v6]" or "[v6]:port", else the port
// after the last ':'. port is nullopt when the authority names none (the scheme's default);
// it is not checked here. Throws std::invalid_argument whose what() is only the reason.
struct Authority {
  std::string_view host;  // an IPv6 address without brackets
  std::optional<std::string_view> port;
};

inline Authority split_authority(std::string_view authority) {
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      throw std::invalid_argument("has no ']' after its IPv6 address");
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      throw std::invalid_argument("has text after its IPv6 address");
    return {authority.substr(1, close - 1),
            after.empty() ? std::nullopt : std::optional<std::string_view>(after.substr(1))};
  }
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos)
    return {authority.substr(0, colon), authority.substr(colon + 1)};
  return {authority, std::nullopt};
}

}  // namespace nfsprov::base
