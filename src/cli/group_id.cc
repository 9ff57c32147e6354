#include "cli/group_id.h"

#include <grp.h>

#include <cerrno>
#include <charconv>
#include <vector>

namespace eppb {

std::optional<gid_t> ResolveGroup(const std::string& name_or_gid, std::string* error) {
  if (name_or_gid.empty()) {
    *error = "empty group";
    return std::nullopt;
  }
  unsigned long number = 0;
  auto [p, ec] =
      std::from_chars(name_or_gid.data(), name_or_gid.data() + name_or_gid.size(), number);
  if (ec == std::errc() && p == name_or_gid.data() + name_or_gid.size()) {
    if (number >= static_cast<unsigned long>(static_cast<gid_t>(-1))) {
      *error = "group id " + name_or_gid + " is out of range";
      return std::nullopt;
    }
    return static_cast<gid_t>(number);
  }
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  int rc = 0;
  while ((rc = getgrnam_r(name_or_gid.c_str(), &entry, buffer.data(), buffer.size(), &found)) ==
             ERANGE &&
         buffer.size() < (1u << 20)) {
    buffer.resize(buffer.size() * 2);
  }
  if (rc != 0 || found == nullptr) {
    *error = "group '" + name_or_gid + "' does not exist";
    return std::nullopt;
  }
  return found->gr_gid;
}

}  // namespace eppb
