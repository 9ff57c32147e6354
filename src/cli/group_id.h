// Resolves a group given by name or number (a flag such as
// --completion-socket-group), for chown(2).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace eppb {

// NAME must exist in the group database; a number is taken as the gid.
// nullopt with *error otherwise.
std::optional<gid_t> ResolveGroup(const std::string& name_or_gid, std::string* error);

}  // namespace eppb
