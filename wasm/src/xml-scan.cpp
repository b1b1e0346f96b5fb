#include "xml-scan.h"

#include <fmt/format.h>

namespace heyhi {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
         c == '_' || c == '-' || c == '.' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void append_utf8(std::string& out, uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

std::optional<uint32_t> numeric_entity(std::string_view body) {
  bool hex = !body.empty() && (body[0] == 'x' || body[0] == 'X');
  std::string_view digits = hex ? body.substr(1) : body;
  if (digits.empty() || digits.size() > 8) return std::nullopt;
  uint32_t code = 0;
  for (char c : digits) {
    int v = (c >= '0' && c <= '9')          ? c - '0'
            : hex && (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : hex && (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                            : -1;
    if (v < 0) return std::nullopt;
    code = code * (hex ? 16 : 10) + static_cast<uint32_t>(v);
  }
  if (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return std::nullopt;
  return code;
}

// Text with its entities decoded; an entity we do not know is kept as written.
void append_decoded(std::string& out, std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    size_t end = text[i] == '&' ? text.find(';', i) : std::string_view::npos;
    if (end == std::string_view::npos || end - i > 12) {
      out += text[i];
      continue;
    }
    std::string_view name = text.substr(i + 1, end - i - 1);
    constexpr std::pair<std::string_view, char> kNamed[] = {
        {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    bool done = false;
    for (const auto& [entity, c] : kNamed) {
      if (name == entity) {
        out += c;
        done = true;
      }
    }
    if (!done && !name.empty() && name[0] == '#') {
      if (auto code = numeric_entity(name.substr(1))) {
        append_utf8(out, *code);
        done = true;
      }
    }
    if (!done) {
      out.append(text.substr(i, end - i + 1));
    }
    i = end;
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<std::unique_ptr<XmlNode>> document() {
    skip_prolog();
    if (at_ >= text_.size() || text_[at_] != '<') return fail("no root element");
    auto root = element(0);
    if (!root.ok()) return root.error();
    skip_misc();
    if (at_ < text_.size()) return fail("content after the root element");
    return std::move(root).value();
  }

 private:
  Error fail(std::string_view what) const {
    return Error{"body", fmt::format("not well-formed XML at byte {}: {}", at_, what)};
  }

  bool starts(std::string_view prefix) const { return text_.substr(at_, prefix.size()) == prefix; }

  bool skip_past(std::string_view end) {
    size_t found = text_.find(end, at_);
    if (found == std::string_view::npos) return false;
    at_ = found + end.size();
    return true;
  }

  // Declarations, comments, processing instructions and the doctype before or after the root.
  void skip_misc() {
    for (;;) {
      while (at_ < text_.size() && is_space(text_[at_])) ++at_;
      if (starts("<?")) {
        if (!skip_past("?>")) at_ = text_.size();
      } else if (starts("<!--")) {
        if (!skip_past("-->")) at_ = text_.size();
      } else if (starts("<!DOCTYPE") || starts("<!doctype")) {
        if (!skip_past(">")) at_ = text_.size();
      } else {
        return;
      }
    }
  }

  void skip_prolog() {
    if (starts("\xEF\xBB\xBF")) at_ += 3;
    skip_misc();
  }

  std::string name() {
    size_t from = at_;
    while (at_ < text_.size() && is_name_char(text_[at_])) ++at_;
    return std::string(text_.substr(from, at_ - from));
  }

  bool attributes(XmlNode& node) {
    for (;;) {
      while (at_ < text_.size() && is_space(text_[at_])) ++at_;
      if (at_ >= text_.size()) return false;
      if (text_[at_] == '>' || text_[at_] == '/') return true;
      std::string key = name();
      while (at_ < text_.size() && is_space(text_[at_])) ++at_;
      if (key.empty() || at_ + 1 >= text_.size() || text_[at_] != '=') return false;
      ++at_;
      while (at_ < text_.size() && is_space(text_[at_])) ++at_;
      if (at_ >= text_.size() || (text_[at_] != '"' && text_[at_] != '\'')) return false;
      char quote = text_[at_++];
      size_t end = text_.find(quote, at_);
      if (end == std::string_view::npos) return false;
      std::string value;
      append_decoded(value, text_.substr(at_, end - at_));
      node.attributes.emplace_back(std::move(key), std::move(value));
      at_ = end + 1;
    }
  }

  Result<std::unique_ptr<XmlNode>> element(size_t depth) {
    if (depth >= kXmlMaxDepth) return fail("nested too deeply");
    if (++nodes_ > kXmlMaxNodes) return fail("too many elements");
    ++at_;  // '<'
    auto node = std::make_unique<XmlNode>();
    node->name = name();
    if (node->name.empty()) return fail("an element without a name");
    if (!attributes(*node)) return fail("a broken attribute list");
    if (starts("/>")) {
      at_ += 2;
      return node;
    }
    ++at_;  // '>'
    auto content = children(*node, depth);
    if (!content.ok()) return content.error();
    return node;
  }

  Result<bool> children(XmlNode& node, size_t depth) {
    for (;;) {
      size_t next = text_.find('<', at_);
      if (next == std::string_view::npos) return fail("an element that is never closed");
      append_decoded(node.text, text_.substr(at_, next - at_));
      at_ = next;
      if (starts("<![CDATA[")) {
        at_ += 9;
        size_t end = text_.find("]]>", at_);
        if (end == std::string_view::npos) return fail("an unclosed CDATA section");
        node.text.append(text_.substr(at_, end - at_));
        at_ = end + 3;
      } else if (starts("<!--")) {
        if (!skip_past("-->")) return fail("an unclosed comment");
      } else if (starts("<?")) {
        if (!skip_past("?>")) return fail("an unclosed processing instruction");
      } else if (starts("</")) {
        at_ += 2;
        std::string closing = name();
        while (at_ < text_.size() && is_space(text_[at_])) ++at_;
        if (closing != node.name || at_ >= text_.size() || text_[at_] != '>') {
          return fail(fmt::format("</{}> closes <{}>", closing, node.name));
        }
        ++at_;
        return true;
      } else {
        auto child = element(depth + 1);
        if (!child.ok()) return child.error();
        node.children.push_back(std::move(child).value());
      }
    }
  }

  std::string_view text_;
  size_t at_ = 0;
  size_t nodes_ = 0;
};

}  // namespace

std::string_view XmlNode::local_name() const {
  size_t colon = name.find(':');
  return colon == std::string::npos ? std::string_view(name)
                                    : std::string_view(name).substr(colon + 1);
}

const XmlNode* XmlNode::child(std::string_view local) const {
  for (const auto& c : children) {
    if (c->local_name() == local) return c.get();
  }
  return nullptr;
}

std::optional<std::string_view> XmlNode::attribute(std::string_view key) const {
  for (const auto& [k, v] : attributes) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Result<std::unique_ptr<XmlNode>> parse_xml(std::string_view text) {
  return Parser(text).document();
}

}  // namespace heyhi
