// A structure-aware mutator for the extproc_reply target. Byte mutations
// alone rarely produce a meaningful reply: a status is a varint, a new field
// needs the lengths of every enclosing message fixed. So one mutation in
// three decodes the input (variant byte, then length-prefixed replies),
// changes one field of one reply through protobuf reflection (a number to an
// interesting value, a string to a token the bridge looks for, a message
// created or cleared, a repeated field grown), adds, drops or duplicates a
// reply, and encodes the input again. The others are libFuzzer's own.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "envoy/service/ext_proc/v3/external_processor.pb.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using Reply = envoy::service::ext_proc::v3::ProcessingResponse;
using Rng = std::minstd_rand;

struct Input {
  uint8_t variant = 0;
  std::vector<std::string> replies;
};

Input Decode(const uint8_t* data, size_t size) {
  Input in;
  if (size == 0) return in;
  in.variant = data[0];
  size_t off = 1;
  while (off + 2 <= size) {
    size_t n = (size_t{data[off]} << 8) | data[off + 1];
    off += 2;
    n = std::min(n, size - off);
    in.replies.emplace_back(reinterpret_cast<const char*>(data + off), n);
    off += n;
  }
  return in;
}

// The last reply's length is 0xffff ("to the end"), so byte mutations that
// append to it keep it one reply.
std::string Encode(const Input& in) {
  std::string out(1, static_cast<char>(in.variant));
  for (size_t i = 0; i < in.replies.size(); ++i) {
    size_t n = i + 1 == in.replies.size() ? 0xffff : in.replies[i].size();
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
    out += in.replies[i];
  }
  return out;
}

const std::vector<int64_t>& InterestingNumbers() {
  static const std::vector<int64_t> v = {0,
                                         1,
                                         2,
                                         -1,
                                         99,
                                         100,
                                         101,
                                         199,
                                         200,
                                         201,
                                         204,
                                         205,
                                         206,
                                         299,
                                         300,
                                         304,
                                         399,
                                         400,
                                         413,
                                         429,
                                         499,
                                         500,
                                         502,
                                         503,
                                         504,
                                         599,
                                         600,
                                         1000,
                                         std::numeric_limits<int32_t>::max(),
                                         std::numeric_limits<int32_t>::min(),
                                         std::numeric_limits<int64_t>::max()};
  return v;
}

const std::vector<std::string>& InterestingStrings() {
  static const std::vector<std::string> v = {
      "",
      "x-gateway-destination-endpoint",
      "x-gateway-destination-endpoint-served",
      "envoy.lb",
      "envoy.lb.subset_hint",
      "10.0.0.1:8000",
      "10.0.0.2:8000",
      "10.0.0.1:8000,10.0.0.2:8000",
      " 10.0.0.1:8000 , [fd00::1]:8000 ",
      "[fd00::1]:8000",
      "[::ffff:10.0.0.1]:80",
      "model.local:80",
      "10.0.0.1:0",
      "10.0.0.1:70000",
      "[::1]",
      "10.0.0.1:80\r\nx-injected: 1",
      "10.0.0.1:8000,",
      ",",
      "content-length",
      "content-type",
      "host",
      "transfer-encoding",
      "connection",
      ":path",
      ":status",
      "x-epp-outcome",
      "x-epp-set-foo",
      "x-gateway-model-name",
      "x-request-id",
      "fuzz-1",
      "Retry-After",
      "application/json",
      "a\r\nb: c",
      std::string("nul\0byte", 8),
      "hello ",
      "world",
      "hello world",
      R"({"model":"demo","messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"llama","messages":[{"role":"user","content":"hi"}]})",
      std::string(300, 'x'),
      std::string(70, 'y'),
  };
  return v;
}

// libFuzzer's byte mutations of one string, which may grow by 64 bytes.
std::string MutateBytes(std::string s) {
  size_t size = s.size();
  s.resize(size + 64);
  s.resize(LLVMFuzzerMutate(reinterpret_cast<uint8_t*>(s.data()), size, s.size()));
  return s;
}

// Every (message, field) of the tree, set or not, down to a depth limit
// (Struct and Value nest without end).
void Collect(Message* m, int depth, std::vector<std::pair<Message*, const FieldDescriptor*>>* out) {
  const auto* d = m->GetDescriptor();
  const Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    out->emplace_back(m, f);
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || depth >= 8) continue;
    if (f->is_repeated()) {
      for (int j = 0; j < r->FieldSize(*m, f); ++j) {
        Collect(r->MutableRepeatedMessage(m, f, j), depth + 1, out);
      }
    } else if (r->HasField(*m, f)) {
      Collect(r->MutableMessage(m, f), depth + 1, out);
    }
  }
}

void MutateField(Message* m, const FieldDescriptor* f, Rng& rng) {
  const Reflection* r = m->GetReflection();
  const auto& nums = InterestingNumbers();
  const auto& strs = InterestingStrings();
  int64_t num =
      rng() % 4 == 0 ? static_cast<int64_t>(rng()) - (1 << 30) : nums[rng() % nums.size()];
  bool repeated = f->is_repeated();
  int size = repeated ? r->FieldSize(*m, f) : 0;
  bool add = repeated && (size == 0 || rng() % 2 == 0);
  int idx = repeated && size > 0 ? static_cast<int>(rng() % size) : 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      if (!repeated)
        r->SetInt32(m, f, static_cast<int32_t>(num));
      else if (add)
        r->AddInt32(m, f, static_cast<int32_t>(num));
      else
        r->SetRepeatedInt32(m, f, idx, static_cast<int32_t>(num));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      if (!repeated)
        r->SetInt64(m, f, num);
      else if (add)
        r->AddInt64(m, f, num);
      else
        r->SetRepeatedInt64(m, f, idx, num);
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      if (!repeated)
        r->SetUInt32(m, f, static_cast<uint32_t>(num));
      else if (add)
        r->AddUInt32(m, f, static_cast<uint32_t>(num));
      else
        r->SetRepeatedUInt32(m, f, idx, static_cast<uint32_t>(num));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      if (!repeated)
        r->SetUInt64(m, f, static_cast<uint64_t>(num));
      else if (add)
        r->AddUInt64(m, f, static_cast<uint64_t>(num));
      else
        r->SetRepeatedUInt64(m, f, idx, static_cast<uint64_t>(num));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v = static_cast<double>(num) / ((rng() % 2) ? 1.0 : 3.0);
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        if (!repeated)
          r->SetDouble(m, f, v);
        else if (add)
          r->AddDouble(m, f, v);
        else
          r->SetRepeatedDouble(m, f, idx, v);
      } else {
        if (!repeated)
          r->SetFloat(m, f, static_cast<float>(v));
        else if (add)
          r->AddFloat(m, f, static_cast<float>(v));
        else
          r->SetRepeatedFloat(m, f, idx, static_cast<float>(v));
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      if (!repeated)
        r->SetBool(m, f, !r->GetBool(*m, f));
      else if (add)
        r->AddBool(m, f, rng() % 2);
      else
        r->SetRepeatedBool(m, f, idx, !r->GetRepeatedBool(*m, f, idx));
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = f->enum_type();
      int v = rng() % 4 == 0 ? static_cast<int>(num) : e->value(rng() % e->value_count())->number();
      if (!repeated)
        r->SetEnumValue(m, f, v);
      else if (add)
        r->AddEnumValue(m, f, v);
      else
        r->SetRepeatedEnumValue(m, f, idx, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string old = !repeated ? r->GetString(*m, f)
                                  : (size > 0 ? r->GetRepeatedString(*m, f, idx) : std::string());
      std::string v;
      switch (rng() % 4) {
        case 0:
          v = MutateBytes(old);
          break;
        case 1:
          v = old + strs[rng() % strs.size()];
          break;
        default:
          v = strs[rng() % strs.size()];
          break;
      }
      if (!repeated)
        r->SetString(m, f, v);
      else if (add)
        r->AddString(m, f, v);
      else
        r->SetRepeatedString(m, f, idx, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (repeated) {
        if (size > 0 && rng() % 3 == 0)
          r->RemoveLast(m, f);
        else
          r->AddMessage(m, f);
      } else if (r->HasField(*m, f) && rng() % 3 == 0) {
        r->ClearField(m, f);
      } else {
        r->MutableMessage(m, f);
      }
      break;
  }
}

void MutateReply(std::string* wire, Rng& rng) {
  Reply reply;
  if (!reply.ParseFromString(*wire)) reply.Clear();  // start over from an empty reply
  int rounds = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < rounds; ++i) {
    std::vector<std::pair<Message*, const FieldDescriptor*>> fields;
    Collect(&reply, 0, &fields);
    auto [m, f] = fields[rng() % fields.size()];
    MutateField(m, f, rng);
  }
  reply.SerializeToString(wire);
}

void Silence(google::protobuf::LogLevel, const char*, int, const std::string&) {}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in string fields is expected input; keep the log quiet.
  google::protobuf::SetLogHandler(&Silence);
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  Rng rng(seed);
  if (size == 0 || rng() % 3 != 0) return LLVMFuzzerMutate(data, size, max_size);
  Input in = Decode(data, size);
  switch (rng() % 8) {
    case 0:  // a new empty reply
      in.replies.insert(in.replies.begin() + (rng() % (in.replies.size() + 1)), std::string());
      break;
    case 1:  // drop one
      if (!in.replies.empty()) in.replies.erase(in.replies.begin() + rng() % in.replies.size());
      break;
    case 2:  // repeat one
      if (!in.replies.empty()) {
        size_t i = rng() % in.replies.size();
        in.replies.insert(in.replies.begin() + i, in.replies[i]);
      }
      break;
    case 3:  // another request variant
      in.variant = static_cast<uint8_t>(rng());
      break;
    default:
      if (in.replies.empty()) in.replies.emplace_back();
      MutateReply(&in.replies[rng() % in.replies.size()], rng);
  }
  std::string out = Encode(in);
  if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
