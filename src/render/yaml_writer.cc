#include "render/yaml_writer.h"

namespace eppb::render {

YAML::Node YamlWriter::QuotedString(const std::string& value) {
  YAML::Node n(value);
  n.SetTag("!");
  return n;
}

void YamlWriter::Emit(YAML::Emitter& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (const auto& kv : node) {
        out << YAML::Key;
        Emit(out, kv.first);
        out << YAML::Value;
        Emit(out, kv.second);
      }
      out << YAML::EndMap;
      return;
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& item : node) Emit(out, item);
      out << YAML::EndSeq;
      return;
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (s.find('\n') != std::string::npos) {
        out << YAML::Literal << s;
      } else if (node.Tag() == "!") {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      return;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out << YAML::Null;
      return;
  }
}

std::string YamlWriter::Write(const std::vector<YAML::Node>& documents) {
  std::string text;
  for (const auto& doc : documents) {
    YAML::Emitter out;
    out.SetIndent(2);
    out.SetSeqFormat(YAML::Block);
    out.SetMapFormat(YAML::Block);
    Emit(out, doc);
    text += "---\n";
    text += out.c_str();
    text += "\n";
  }
  return text;
}

}  // namespace eppb::render
