// Beast's request parser with one more limit. Beast stores a field's name and
// value with 16-bit offsets, and inserting a longer one throws
// std::length_error from deep inside the read, where nothing of ours could
// answer. This parser refuses such a field as header_limit instead, which the
// session answers with 431 like any header block over --max-header-bytes.
#pragma once

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>

namespace eppb {

class RequestParser final
    : public boost::beast::http::request_parser<boost::beast::http::string_body> {
 public:
  // The longest field name or value Beast's fields can hold.
  static constexpr size_t kMaxFieldBytes = 65533;

 private:
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
};

}  // namespace eppb
