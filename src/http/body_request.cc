#include "http/body_request.h"

#include <boost/beast/core/string.hpp>

namespace eppb {

bool WantsRewrittenBody(const boost::beast::http::request<boost::beast::http::string_body>& req) {
  for (const auto& f : req) {
    if (boost::beast::iequals(f.name_string(), "x-epp-want-body") && f.value() == "1") {
      return true;
    }
  }
  return false;
}

void KeepRewrittenBodyIfWanted(BridgeAnswer* answer, bool wanted) {
  if (answer->outcome != Outcome::kPicked || wanted) return;
  answer->body.clear();
  answer->body.shrink_to_fit();
}

}  // namespace eppb
