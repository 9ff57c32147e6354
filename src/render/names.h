// Kubernetes name rules, checked before a name goes into a DNS name or an
// NGINX configuration.
#pragma once

#include <string>

namespace eppb::render {

// RFC 1123 label: lower-case alphanumerics and '-', 1-63, alphanumeric at both ends.
bool IsDnsLabel(const std::string& s);
// RFC 1123 subdomain: dot-separated labels, at most 253.
bool IsDnsSubdomain(const std::string& s);
// A Gateway API hostname: a subdomain, optionally starting with "*.".
bool IsGatewayHostname(const std::string& s);
// A Gateway API path value: starts with '/', only the characters Gateway API allows.
bool IsGatewayPath(const std::string& s);
// "my-pool.v2" → "my_pool_v2": safe inside NGINX variable and upstream names.
std::string NginxIdentifier(const std::string& s);

}  // namespace eppb::render
