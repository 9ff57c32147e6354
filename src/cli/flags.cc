#include "cli/flags.h"

namespace eppb {

namespace {
std::string Upper(const std::string& s) {
  std::string out;
  for (char c : s) out += (c == '-') ? '_' : static_cast<char>(std::toupper(c));
  return out;
}
}  // namespace

std::string EnvNameFor(const CLI::App* app, const std::string& flag) {
  std::string name = flag;
  auto comma = name.find(',');
  if (comma != std::string::npos) name = name.substr(comma + 1);
  while (!name.empty() && name.front() == '-') name.erase(0, 1);
  std::string env = "EPP_BRIDGE_";
  if (app->get_name() != "serve") env += Upper(app->get_name()) + "_";
  return env + Upper(name);
}

}  // namespace eppb
