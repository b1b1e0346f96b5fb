// A small XML reader for status feeds. No XML library is packaged here in a form Emscripten can
// build, and RSS and Atom need only elements, attributes, text, CDATA and the predefined and
// numeric entities: no DTDs, no namespaces beyond their prefixes, no processing of any kind.
// Malformed input is an error that names its byte offset, never a crash.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "result.h"

namespace heyhi {

struct XmlNode {
  std::string name;  // as written, prefix included: "atom:link"
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;  // the node's own text and CDATA, entities decoded
  std::vector<std::unique_ptr<XmlNode>> children;

  // The name without its namespace prefix.
  std::string_view local_name() const;
  // The first child with this local name, or null.
  const XmlNode* child(std::string_view local) const;
  std::optional<std::string_view> attribute(std::string_view name) const;
};

inline constexpr size_t kXmlMaxDepth = 64;
inline constexpr size_t kXmlMaxNodes = 50000;

// The document's root element.
Result<std::unique_ptr<XmlNode>> parse_xml(std::string_view text);

}  // namespace heyhi
