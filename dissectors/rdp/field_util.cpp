#include "rdp/field_util.h"

#include "core/text.h"
#include "x224/x224_names.h"

namespace rdpscope::rdp {

model::Fields bitNames(CodeTable table, std::uint32_t value) {
  model::Fields out = model::Fields::array();
  forEachBitName(table, value, [&out](std::string_view name) { out.push_back(std::string(name)); });
  return out;
}

void bitNamesList(model::EventBodySink& sink, std::string_view key, CodeTable table,
                  std::uint32_t value) {
  sink.beginList(key);
  forEachBitName(table, value, [&sink](std::string_view name) { sink.listText(name); });
  sink.endList();
}

std::string bitNamesJoined(CodeTable table, std::uint32_t value) {
  std::string s;
  forEachBitName(table, value, [&s](std::string_view name) {
    if (!s.empty()) {
      s += '|';
    }
    s += name;
  });
  return s.empty() ? "none" : s;
}

model::Fields protocolNames(std::uint32_t requested) {
  if (requested == 0) {
    model::Fields out = model::Fields::array();
    out.push_back(codeName(x224::protocols(), 0));
    return out;
  }
  return bitNames(x224::protocols(), requested);
}

std::string zeekProtocolName(std::uint32_t selected) {
  std::string name = codeName(x224::protocols(), selected);
  constexpr std::string_view kPrefix = "PROTOCOL_";
  if (name.rfind(kPrefix, 0) == 0) {
    return name.substr(kPrefix.size());
  }
  return name;
}

namespace {
bool namesProblem(std::string_view field) {
  const auto dot = field.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? field : field.substr(dot + 1);
  return last.rfind("bad_", 0) == 0 || last.rfind("too_", 0) == 0 ||
         last.find("trailing") != std::string_view::npos ||
         last.find("unterminated") != std::string_view::npos ||
         last.find("invalid") != std::string_view::npos ||
         last.find("unexpected") != std::string_view::npos;
}
}  // namespace

std::string anomalyId(const ParseError& e) {
  const std::string_view field = e.field == nullptr ? "rdp.unknown" : e.field;
  if (e.kind == ErrorKind::Malformed && namesProblem(field)) {
    return std::string(field);
  }
  switch (e.kind) {
    case ErrorKind::Truncated:
      return std::string(field) + ".truncated";
    case ErrorKind::Malformed:
      return std::string(field) + ".malformed";
    case ErrorKind::Unsupported:
      return std::string(field) + ".unsupported";
    case ErrorKind::LimitExceeded:
      return std::string(field) + ".limit_exceeded";
  }
  return std::string(field);
}

void reportParseError(engine::DissectContext& ctx, model::Direction dir, std::uint64_t base,
                      const ParseError& e, std::string_view what) {
  std::string detail = std::string(what) + ": " + errorKindName(e.kind) + " at field " +
                       (e.field == nullptr ? "?" : e.field) + " (PDU offset " +
                       std::to_string(e.offset) + "); dissection of this direction stops";
  ctx.anomaly(anomalyId(e), dir, base + e.offset, std::move(detail));
}

std::string cleanString(std::string_view s, std::size_t max_chars) {
  if (s.size() > max_chars) {
    s = s.substr(0, max_chars);
  }
  return sanitizeUtf8(s);
}

}  // namespace rdpscope::rdp
