#include "observe/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <unordered_map>

namespace eppb {
namespace {

std::atomic<bool> g_json{false};

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// Writes the whole JSON line: time, level, then the event's fields (a
// payload that LogEvent built as a JSON object) or the plain message.
class JsonLine final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& tm,
              spdlog::memory_buf_t& dest) override {
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count() %
        1000;
    char ts[40];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03lldZ", static_cast<long long>(ms));
    std::string line = "{\"ts\":\"";
    line += ts;
    line += "\",\"level\":\"";
    auto lv = spdlog::level::to_string_view(msg.level);
    line.append(lv.data(), lv.size());
    line += "\",";
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!payload.empty() && payload.front() == '{') {
      line.append(payload.substr(1));
    } else {
      line += "\"msg\":";
      AppendJsonString(payload, &line);
      line += "}";
    }
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonLine>();
  }
};

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == 0x7f) return true;
  }
  return false;
}

std::string Format(std::string_view event, std::initializer_list<LogField> fields,
                   long suppressed) {
  std::string out;
  if (g_json) {
    out = "{\"event\":";
    AppendJsonString(event, &out);
    for (const auto& f : fields) {
      out += ',';
      AppendJsonString(f.key, &out);
      out += ':';
      AppendJsonString(f.value, &out);
    }
    if (suppressed > 0) out += ",\"suppressed\":" + std::to_string(suppressed);
    out += '}';
    return out;
  }
  out.append(event);
  for (const auto& f : fields) {
    out += ' ';
    out.append(f.key);
    out += '=';
    if (NeedsQuotes(f.value)) {
      std::string quoted;
      AppendJsonString(f.value, &quoted);
      out += quoted;
    } else {
      out.append(f.value);
    }
  }
  if (suppressed > 0) out += " suppressed=" + std::to_string(suppressed);
  return out;
}

struct Window {
  int64_t second = 0;
  int count = 0;
  long suppressed = 0;
};

}  // namespace

bool SetupLogging(const std::string& level, std::string* error, const std::string& format) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    *error = "--log-level must be one of trace, debug, info, warn, error, off; got '" + level + "'";
    return false;
  }
  if (format != "text" && format != "json") {
    *error = "--log-format must be text or json; got '" + format + "'";
    return false;
  }
  auto logger = spdlog::get("epp-bridge");
  if (!logger) logger = spdlog::stderr_logger_mt("epp-bridge");
  spdlog::set_default_logger(logger);
  g_json = format == "json";
  if (g_json) {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<JsonLine>('*').set_pattern("%*");
    spdlog::set_formatter(std::move(f));
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  }
  spdlog::set_level(lvl);
  spdlog::flush_on(spdlog::level::trace);
  return true;
}

void LogEvent(spdlog::level::level_enum level, std::string_view event,
              std::initializer_list<LogField> fields) {
  if (!spdlog::should_log(level)) return;
  spdlog::log(level, "{}", Format(event, fields, 0));
}

void LogEventLimited(spdlog::level::level_enum level, std::string_view event,
                     std::initializer_list<LogField> fields, int per_second) {
  if (!spdlog::should_log(level)) return;
  static std::mutex mu;
  static std::unordered_map<std::string, Window> windows;
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  long suppressed = 0;
  {
    std::lock_guard lock(mu);
    auto& w = windows[std::string(event)];
    if (w.second != now) {
      w.second = now;
      w.count = 0;
    }
    if (++w.count > per_second) {
      ++w.suppressed;
      return;
    }
    suppressed = w.suppressed;
    w.suppressed = 0;
  }
  spdlog::log(level, "{}", Format(event, fields, suppressed));
}

}  // namespace eppb
