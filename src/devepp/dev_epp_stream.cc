#include "devepp/dev_epp_stream.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include "common/happens_before.h"
#include "common/header_rules.h"
#include "devepp/dev_epp_service.h"
#include "extproc/metadata_keys.h"
#include "observe/logging.h"

namespace eppb {
namespace {

using envoy::extensions::filters::http::ext_proc::v3::ProcessingMode;

void AddHeader(extproc::HeaderMutation* m, const std::string& key, const std::string& value) {
  auto* h = m->add_set_headers()->mutable_header();
  h->set_key(key);
  h->set_raw_value(value);
}

void SetLbMetadata(extproc::ProcessingResponse* r, const std::string& value) {
  auto& lb = (*r->mutable_dynamic_metadata()->mutable_fields())[kLbNamespace];
  (*lb.mutable_struct_value()->mutable_fields())[kDestinationKey].set_string_value(value);
}

// The subset hint as a list of strings, or (as some pickers accept) one comma string.
std::vector<std::string> SubsetFrom(const google::protobuf::Value& v) {
  std::vector<std::string> out;
  if (v.has_list_value()) {
    for (const auto& item : v.list_value().values()) {
      if (item.has_string_value()) out.push_back(item.string_value());
    }
  } else if (v.has_string_value()) {
    std::vector<SubsetToken> t;
    std::string err;
    if (ParseSubsetList(v.string_value(), &t, &err)) out.push_back(v.string_value());
  }
  return out;
}

}  // namespace

DevEppStream::DevEppStream(DevEppService* service, grpc::CallbackServerContext* ctx)
    : service_(service), ctx_(ctx) {
  service_->open_streams().fetch_add(1);
  service_->Track(this);
  HappensBefore(this);  // the stream's set-up, before its reactions
  StartRead(&in_);
}

void DevEppStream::OnReadDone(bool ok) {
  Reaction reaction(this);
  if (!ok) {  // the client half-closed or went away: end the stream, like the real EPP
    std::lock_guard lock(mu_);
    read_closed_ = true;
    // A delayed decision finishes after it; `ignore-half-close` waits for a cancel.
    if (!alarm_pending_ && !ignore_half_close_) FinishLocked(grpc::Status::OK);
    return;
  }
  Handle(in_);
  in_.Clear();
  StartRead(&in_);
}

void DevEppStream::Handle(const extproc::ProcessingRequest& msg) {
  std::lock_guard lock(mu_);
  if (finished_ || finish_) return;
  ++record_.messages;
  if (msg.has_protocol_config()) {
    if (record_.messages > 1) record_.protocol_config_only_first = false;
    record_.protocol_config_full_duplex =
        msg.protocol_config().request_body_mode() == ProcessingMode::FULL_DUPLEX_STREAMED &&
        msg.protocol_config().response_body_mode() == ProcessingMode::FULL_DUPLEX_STREAMED;
  }
  const auto& fm = msg.metadata_context().filter_metadata();
  if (auto ns = fm.find(kSubsetNamespace); ns != fm.end()) {
    auto it = ns->second.fields().find(kSubsetKey);
    if (it != ns->second.fields().end()) {
      ++record_.messages_with_subset;
      record_.subset = SubsetFrom(it->second);
    }
  }
  if (auto ns = fm.find(kLbNamespace); ns != fm.end()) {
    auto it = ns->second.fields().find(kServedKey);
    if (it != ns->second.fields().end()) record_.served = it->second.string_value();
  }
  switch (msg.request_case()) {
    case extproc::ProcessingRequest::kRequestHeaders:
      for (const auto& h : msg.request_headers().headers().headers()) {
        if (h.raw_value().empty() && !h.value().empty()) record_.headers_in_raw_value = false;
        std::string value = h.raw_value().empty() ? h.value() : h.raw_value();
        record_.headers.push_back({ToLower(h.key()), value});
        if (ToLower(h.key()) == "x-request-id") record_.request_id = value;
      }
      if (msg.request_headers().end_of_stream() ||
          Fault::Parse(Header("x-dev-epp-fault")).decide_on_headers) {
        Decide();
      }
      break;
    case extproc::ProcessingRequest::kRequestBody:
      service_->CountBodyMessage();
      body_ += msg.request_body().body();
      record_.body_bytes += msg.request_body().body().size();
      ++record_.body_chunks;
      if (msg.request_body().end_of_stream()) {
        record_.body_end_of_stream = true;
        Decide();
      }
      break;
    case extproc::ProcessingRequest::kResponseHeaders: {
      record_.response_headers_seen = true;
      for (const auto& h : msg.response_headers().headers().headers()) {
        if (h.key() == ":status") {
          record_.response_status =
              std::atoi((h.raw_value().empty() ? h.value() : h.raw_value()).c_str());
        }
      }
      extproc::ProcessingResponse r;
      r.mutable_response_headers();
      Send(std::move(r));
      break;
    }
    case extproc::ProcessingRequest::kResponseBody: {
      extproc::ProcessingResponse r;
      auto* s = r.mutable_response_body()
                    ->mutable_response()
                    ->mutable_body_mutation()
                    ->mutable_streamed_response();
      s->set_body(msg.response_body().body());
      s->set_end_of_stream(msg.response_body().end_of_stream());
      Send(std::move(r));
      break;
    }
    default:
      break;
  }
}

std::string DevEppStream::Header(const std::string& key) const {
  std::string v;
  for (const auto& h : record_.headers) {
    if (h.key == key) v = h.value;  // duplicates collapse to the last, as in llm-d-router
  }
  return v;
}

void DevEppStream::Decide() {
  if (state_ != State::kReceiving) return;
  state_ = State::kDeciding;
  Fault fault = Fault::Parse(Header("x-dev-epp-fault"));
  ignore_half_close_ = fault.ignore_half_close;
  if (fault.no_reply) return;  // hold the stream silently until the client gives up
  if (fault.delay_ms > 0) {
    alarm_pending_ = true;
    delayed_ = fault;  // the alarm's closure holds only `this` (stored inside the function)
    auto when = std::chrono::system_clock::now() + std::chrono::milliseconds(fault.delay_ms);
    HappensBefore(this);
    alarm_.Set(when, [this](bool fired) {
      Reaction reaction(this);
      std::unique_lock lock(mu_);
      alarm_pending_ = false;
      if (done_) {
        lock.unlock();
        delete this;
        return;
      }
      if (fired && !finished_ && !finish_)
        DecideNow(delayed_);
      else if (!fired)
        FinishLocked(grpc::Status::CANCELLED);
      if (read_closed_ && !ignore_half_close_) FinishLocked(grpc::Status::OK);
    });
    return;
  }
  DecideNow(fault);
}

void DevEppStream::DecideNow(const Fault& fault) {
  if (fault.grpc_error) return FinishLocked(grpc::Status(grpc::StatusCode::INTERNAL, "injected"));
  if (fault.close_early) return FinishLocked(grpc::Status::OK);
  if (fault.immediate_destination) {
    const std::string& v = *fault.immediate_destination;
    return ReplyImmediate(200, "immediate answer naming a destination",
                          {{kDestinationHeader, v}, {"x-epp-endpoints", v}});
  }
  if (fault.status) {
    return ReplyImmediate(
        *fault.status, fault.body_bytes > 0
                           ? std::string(fault.body_bytes, 'x')
                           : "inference error: injected status " + std::to_string(*fault.status));
  }
  std::string error;
  if (!body_.empty() && !service_->options().rewrite_from.empty() && !RewriteBody(&body_, &error)) {
    return ReplyImmediate(400, "inference error: " + error);
  }
  std::vector<SubsetToken> subset;
  for (const auto& s : record_.subset) {
    std::vector<SubsetToken> t;
    if (ParseSubsetList(s, &t, &error)) subset.insert(subset.end(), t.begin(), t.end());
  }
  std::vector<Endpoint> list;
  std::string selection = Header("test-epp-endpoint-selection");
  if (!selection.empty()) {
    std::vector<SubsetToken> tokens;
    if (!ParseSubsetList(selection, &tokens, &error)) {
      return ReplyImmediate(400, "inference error: bad test-epp-endpoint-selection: " + error);
    }
    for (const auto& t : tokens) {
      if (t.port) {
        bool v6 = false;
        ParseIpLiteral(t.address, &v6);
        list.push_back(Endpoint{t.address, *t.port, v6});
        continue;
      }
      for (const auto& e : service_->picker().endpoints()) {
        if (t.Matches(e)) list.push_back(e);
      }
    }
    if (!subset.empty()) {
      std::erase_if(list, [&](const Endpoint& e) {
        return std::none_of(subset.begin(), subset.end(), [&](auto& t) { return t.Matches(e); });
      });
    }
  } else {
    list = service_->picker().Rank(subset);
    if (!service_->options().fallbacks && list.size() > 1) list.resize(1);
  }
  if (fault.garbage_endpoint) return ReplyDecision(list, fault);  // whatever the subset says
  if (list.empty()) return ReplyImmediate(503, "inference error: no endpoints available");
  lease_ = service_->picker().Acquire(list.front());
  if (fault.endpoints > 0) {
    // The pick first, then other ports of 127.0.0.1 (repeating past 55,000).
    Endpoint first = list.front();
    list.assign(1, first);
    for (size_t i = 1; i < fault.endpoints; ++i) {
      list.push_back(Endpoint{"127.0.0.1", static_cast<uint16_t>(10000 + (i - 1) % 55000), false});
    }
  }
  ReplyDecision(list, fault);
}

bool DevEppStream::RewriteBody(std::string* body, std::string* error) const {
  google::protobuf::Struct doc;
  auto status = google::protobuf::util::JsonStringToMessage(*body, &doc);
  if (!status.ok()) {
    *error = "request body is not valid JSON";
    return false;
  }
  auto it = doc.mutable_fields()->find("model");
  if (it == doc.mutable_fields()->end() || !it->second.has_string_value()) {
    *error = "request body has no model";
    return false;
  }
  if (it->second.string_value() != service_->options().rewrite_from) return true;
  it->second.set_string_value(service_->options().rewrite_to);
  body->clear();
  return google::protobuf::util::MessageToJsonString(doc, body).ok();
}

void DevEppStream::ReplyDecision(const std::vector<Endpoint>& list, const Fault& fault) {
  std::string value = fault.garbage_endpoint ? *fault.garbage_endpoint : JoinEndpoints(list);
  extproc::ProcessingResponse headers;
  auto* common = headers.mutable_request_headers()->mutable_response();
  common->set_clear_route_cache(true);
  auto* mutation = common->mutable_header_mutation();
  if (!fault.metadata_only) AddHeader(mutation, kDestinationHeader, value);
  if (record_.body_end_of_stream)
    AddHeader(mutation, "content-length", std::to_string(body_.size()));
  for (const auto& h : record_.headers) {
    if (h.key != "content-length") AddHeader(mutation, h.key, h.value);
  }
  if (fault.set_header_bytes > 0) {
    std::string big(fault.set_header_bytes, 'b');
    for (size_t i = 0; i < big.size(); i += 64) big[i] = static_cast<char>('a' + i / 64 % 26);
    AddHeader(mutation, "x-dev-epp-big", big);
  }
  for (size_t i = 0; i < fault.remove_repeats; ++i) {
    mutation->add_remove_headers("x-dev-epp-fault");
  }
  if (!fault.no_metadata) SetLbMetadata(&headers, fault.mismatch ? "192.0.2.1:1" : value);
  Send(std::move(headers));
  record_.picked = value;
  state_ = State::kDecided;
  if (fault.endless_body) {  // from the decision on, even one before the body's end
    body_.clear();
    endless_ = true;
    return SendEndlessChunk();  // OnWriteDone sends the next one, until cancelled
  }
  if (!record_.body_end_of_stream) {
    if (fault.close_after_pick) FinishLocked(grpc::Status::OK);
    return;
  }
  const size_t chunk = std::max<size_t>(1, service_->options().reply_chunk_bytes);
  size_t off = 0;
  do {
    size_t n = std::min(chunk, body_.size() - off);
    extproc::ProcessingResponse r;
    auto* s = r.mutable_request_body()
                  ->mutable_response()
                  ->mutable_body_mutation()
                  ->mutable_streamed_response();
    s->set_body(body_.data() + off, n);
    off += n;
    s->set_end_of_stream(off == body_.size());
    Send(std::move(r));
  } while (off < body_.size());
  body_.clear();
  if (fault.close_after_pick) FinishLocked(grpc::Status::OK);
}

void DevEppStream::SendEndlessChunk() {
  std::string data(Fault::kEndlessChunkBytes, static_cast<char>('a' + endless_seq_ % 26));
  std::string seq = std::to_string(endless_seq_++);
  data.replace(0, seq.size(), seq);
  extproc::ProcessingResponse r;
  auto* s = r.mutable_request_body()
                ->mutable_response()
                ->mutable_body_mutation()
                ->mutable_streamed_response();
  s->set_body(std::move(data));
  s->set_end_of_stream(false);
  Send(std::move(r));
}

void DevEppStream::ReplyImmediate(int status, const std::string& body,
                                  const std::vector<HeaderPair>& extra) {
  extproc::ProcessingResponse r;
  auto* imm = r.mutable_immediate_response();
  imm->mutable_status()->set_code(status);
  imm->set_body(body);
  AddHeader(imm->mutable_headers(), "content-type", "text/plain");
  for (const auto& h : extra) AddHeader(imm->mutable_headers(), h.key, h.value);
  if (status == 503 || status == 429) {
    AddHeader(imm->mutable_headers(), "x-llm-d-request-dropped-reason", "dev-epp");
  }
  record_.immediate_status = status;
  state_ = State::kDecided;
  Send(std::move(r));
  FinishLocked(grpc::Status::OK);
}

void DevEppStream::Send(extproc::ProcessingResponse msg) {
  if (finished_ || finish_) return;
  out_.push_back(std::move(msg));
  if (!writing_) {
    writing_ = true;
    StartWrite(&out_.front());
  }
}

void DevEppStream::OnWriteDone(bool ok) {
  Reaction reaction(this);
  std::lock_guard lock(mu_);
  out_.pop_front();  // the message just written
  if (!ok || cancelled_) out_.clear();
  if (out_.empty() && ok && endless_ && !cancelled_ && !finish_) {
    writing_ = false;
    SendEndlessChunk();  // one reply in flight at a time: bounded memory
    return;
  }
  if (!out_.empty()) {
    StartWrite(&out_.front());
    return;
  }
  writing_ = false;
  if (finish_ && !finished_) {
    finished_ = true;
    Finish(*finish_);
  }
}

void DevEppStream::FinishLocked(grpc::Status status) {
  if (finished_ || finish_) return;
  finish_ = std::move(status);
  if (!writing_) {
    finished_ = true;
    Finish(*finish_);
  }
}

void DevEppStream::OnCancel() {
  Reaction reaction(this);
  std::lock_guard lock(mu_);
  if (alarm_pending_) alarm_.Cancel();
  cancelled_ = true;
  if (!writing_)
    FinishLocked(grpc::Status::CANCELLED);
  else
    finish_ = finish_.value_or(grpc::Status::CANCELLED);
}

void DevEppStream::EndIfKeptOpen() {
  Reaction reaction(this);  // called from the server's shutdown, not a reaction of its own
  std::lock_guard lock(mu_);
  if (ignore_half_close_ || endless_) {
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "dev-epp shutting down"));
  }
}

void DevEppStream::OnDone() {
  Reaction reaction(this);
  service_->Untrack(this);  // before mu_: EndKeptStreams takes them in the other order
  {
    std::lock_guard lock(mu_);
    LogEvent(spdlog::level::info, "dev-epp-stream",
             {{"request_id", record_.request_id},
              {"messages", std::to_string(record_.messages)},
              {"body_bytes", std::to_string(record_.body_bytes)},
              {"chunks", std::to_string(record_.body_chunks)},
              {"subset", std::to_string(record_.messages_with_subset)},
              {"picked", record_.picked},
              {"immediate", std::to_string(record_.immediate_status)},
              {"served", record_.served}});
    service_->recorder().Add(record_);
    lease_.reset();
    service_->open_streams().fetch_sub(1);
    HappensBefore(service_);  // the stream's last use of the service, before its destruction
    done_ = true;
    if (alarm_pending_) return;  // the alarm's callback deletes the stream
  }
  delete this;
}

}  // namespace eppb
