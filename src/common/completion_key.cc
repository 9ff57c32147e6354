#include "common/completion_key.h"

namespace eppb {

bool IsCompletionKey(std::string_view s) {
  if (s.size() != kCompletionKeyLength) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace eppb
