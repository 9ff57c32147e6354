// The key that ties a held EPP stream to NGINX's completion record: NGINX's
// own $request_id (32 lower-case hex digits, random per request). NGINX sends
// it to the bridge in X-EPP-Completion-Key and logs it first in the record;
// no client can choose it, so no client can complete another's stream.
#pragma once

#include <string_view>

namespace eppb {

inline constexpr std::string_view kCompletionKeyHeader = "x-epp-completion-key";
inline constexpr size_t kCompletionKeyLength = 32;

// Exactly NGINX's $request_id format: [0-9a-f]{32}.
bool IsCompletionKey(std::string_view s);

}  // namespace eppb
