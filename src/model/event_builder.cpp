#include "model/event_builder.h"

#include <cstring>

namespace rdpscope::model {
namespace {

// Operation codes of RecordedBody::ops_.
constexpr char kNumber = 'n';       // key, 8 bytes
constexpr char kFlag = 'f';         // key, 1 byte
constexpr char kText = 't';         // key, u32 length, bytes
constexpr char kValue = 'v';        // key, u32 index into values_
constexpr char kNull = 'z';         // key
constexpr char kListBegin = 'l';    // key
constexpr char kListText = 'e';     // u32 length, bytes
constexpr char kListEnd = ']';
constexpr char kObjectBegin = 'o';  // key
constexpr char kObjectEnd = '}';
constexpr char kArrayBegin = 'a';   // key
constexpr char kArrayEnd = ')';

// Reads the record back; it was written by EventBuilder alone, so it is well formed.
class OpReader {
 public:
  explicit OpReader(std::string_view ops) : ops_(ops) {}
  bool done() const { return pos_ >= ops_.size(); }
  char code() { return ops_[pos_++]; }
  std::string_view key() {
    const auto n = static_cast<unsigned char>(ops_[pos_++]);
    const std::string_view k = ops_.substr(pos_, n);
    pos_ += n;
    return k;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    std::memcpy(&v, ops_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    std::memcpy(&v, ops_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  bool flag() { return ops_[pos_++] != 0; }
  std::string_view text() {
    const std::uint32_t n = u32();
    const std::string_view t = ops_.substr(pos_, n);
    pos_ += n;
    return t;
  }

 private:
  std::string_view ops_;
  std::size_t pos_ = 0;
};

}  // namespace

void RecordedBody::replay(EventBodySink& sink) const {
  if (!summary_.empty()) {
    sink.summary(summary_);
  }
  OpReader r(ops_);
  while (!r.done()) {
    switch (r.code()) {
      case kNumber: {
        const std::string_view key = r.key();
        sink.fieldNumber(key, r.u64());
        break;
      }
      case kFlag: {
        const std::string_view key = r.key();
        sink.fieldFlag(key, r.flag());
        break;
      }
      case kText: {
        const std::string_view key = r.key();
        sink.fieldText(key, r.text());
        break;
      }
      case kValue: {
        const std::string_view key = r.key();
        sink.fieldValue(key, values_[r.u32()]);
        break;
      }
      case kNull:
        sink.fieldNull(r.key());
        break;
      case kListBegin:
        sink.beginList(r.key());
        break;
      case kListText:
        sink.listText(r.text());
        break;
      case kListEnd:
        sink.endList();
        break;
      case kObjectBegin:
        sink.beginObject(r.key());
        break;
      case kObjectEnd:
        sink.endObject();
        break;
      case kArrayBegin:
        sink.beginArray(r.key());
        break;
      case kArrayEnd:
        sink.endArray();
        break;
      default:
        return;  // not reached: only EventBuilder writes the record
    }
  }
}

void describeRecorded(const CompactBody& body, Direction /*dir*/, EventBodySink& sink) {
  static_cast<const RecordedBody&>(*body.payload).replay(sink);
}

EventBuilder::EventBuilder() : body_(std::make_shared<RecordedBody>()) {
  body_->ops_.reserve(192);
}

void EventBuilder::summary(std::string_view part) { body_->summary_.append(part); }

void EventBuilder::setSummary(std::string text) { body_->summary_ = std::move(text); }

void EventBuilder::op(char code, std::string_view key) {
  // Keys are names chosen in the source; longer than a length byte would be a bug there.
  const std::size_t n = std::min<std::size_t>(key.size(), 255);
  std::string& ops = body_->ops_;
  ops.push_back(code);
  ops.push_back(static_cast<char>(n));
  ops.append(key.data(), n);
}

void EventBuilder::u32(std::uint32_t v) {
  char bytes[sizeof v];
  std::memcpy(bytes, &v, sizeof v);
  body_->ops_.append(bytes, sizeof v);
}

void EventBuilder::text(std::string_view s) {
  u32(static_cast<std::uint32_t>(s.size()));
  body_->ops_.append(s);
}

void EventBuilder::fieldNumber(std::string_view key, std::uint64_t value) {
  op(kNumber, key);
  char bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  body_->ops_.append(bytes, sizeof value);
}

void EventBuilder::fieldFlag(std::string_view key, bool value) {
  op(kFlag, key);
  body_->ops_.push_back(value ? '\1' : '\0');
}

void EventBuilder::fieldText(std::string_view key, std::string_view value) {
  op(kText, key);
  text(value);
}

void EventBuilder::fieldValue(std::string_view key, const Fields& value) {
  op(kValue, key);
  u32(static_cast<std::uint32_t>(body_->values_.size()));
  body_->values_.push_back(value);
}

void EventBuilder::fieldNull(std::string_view key) { op(kNull, key); }

void EventBuilder::beginList(std::string_view key) { op(kListBegin, key); }

void EventBuilder::listText(std::string_view element) {
  body_->ops_.push_back(kListText);
  text(element);
}

void EventBuilder::endList() { body_->ops_.push_back(kListEnd); }

void EventBuilder::beginObject(std::string_view key) { op(kObjectBegin, key); }

void EventBuilder::endObject() { body_->ops_.push_back(kObjectEnd); }

void EventBuilder::beginArray(std::string_view key) { op(kArrayBegin, key); }

void EventBuilder::endArray() { body_->ops_.push_back(kArrayEnd); }

void EventBuilder::setList(std::string_view key, const std::vector<std::string>& values) {
  beginList(key);
  for (const std::string& v : values) {
    listText(v);
  }
  endList();
}

// A tree value in the form replay gives back: plain kinds as their own calls, so that readers
// of numbers and flags (pickFields) find them; objects and arrays as values.
void EventBuilder::setTree(std::string_view key, const Fields& value) {
  if (value.is_null()) {
    fieldNull(key);
  } else if (value.is_boolean()) {
    fieldFlag(key, value.get<bool>());
  } else if (value.is_number_unsigned()) {
    fieldNumber(key, value.get<std::uint64_t>());
  } else if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    fieldNumber(key, static_cast<std::uint64_t>(value.get<std::int64_t>()));
  } else if (value.is_string()) {
    fieldText(key, value.get_ref<const std::string&>());
  } else {
    fieldValue(key, value);
  }
}

Event EventBuilder::build(std::string_view kind, std::optional<Stage> stage) && {
  Event ev{Event::CompactTag{}};
  ev.kind = kind;
  ev.stage = stage;
  ev.compact.describe = &describeRecorded;
  ev.compact.payload = std::move(body_);
  return ev;
}

}  // namespace rdpscope::model
