#include "http/request_parser.h"

#include <boost/beast/http/error.hpp>

namespace eppb {

void RequestParser::on_field_impl(boost::beast::http::field name,
                                  boost::beast::string_view name_string,
                                  boost::beast::string_view value, boost::beast::error_code& ec) {
  if (name_string.size() > kMaxFieldBytes || value.size() > kMaxFieldBytes) {
    ec = boost::beast::http::error::header_limit;
    return;
  }
  get().insert(name, name_string, value);
}

}  // namespace eppb
