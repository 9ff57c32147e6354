// Names of the metadata namespaces and keys of the Endpoint Picker protocol.
#pragma once

namespace eppb {

inline constexpr const char* kDestinationHeader = "x-gateway-destination-endpoint";
inline constexpr const char* kLbNamespace = "envoy.lb";
inline constexpr const char* kDestinationKey = "x-gateway-destination-endpoint";
inline constexpr const char* kServedKey = "x-gateway-destination-endpoint-served";
inline constexpr const char* kSubsetNamespace = "envoy.lb.subset_hint";
inline constexpr const char* kSubsetKey = "x-gateway-destination-endpoint-subset";

}  // namespace eppb
