#include "output/json_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/hash.h"
#include "core/text.h"
#include "model/event_builder.h"
#include "output/render_common.h"

namespace rdpscope::output {
namespace {

// Identity keys inside the summary objects that --redact-identities hides.
void redactObject(model::Fields& obj) {
  static const char* kKeys[] = {"cookie", "client_name", "user", "domain", "workstation",
                                "client_address", "routing_token"};
  for (const char* key : kKeys) {
    if (obj.is_object() && obj.contains(key) && !obj[key].is_null()) {
      obj[key] = "[redacted]";
    }
  }
}

// The same double as std::stod(formatEpoch(ts)) (seconds with 6 decimals), without the text
// round trip, which was a quarter of the writer's time (every event has a "t"). The decimal
// formatEpoch writes is ±mag / 10^6 for an integer mag. While mag < 2^53 both mag and 10^6 are
// exact doubles and IEEE division rounds correctly, as strtod does, so the result is the same
// double bit for bit.
double epochSeconds(Timestamp ts) {
  const std::int64_t usec_total = ts.ns / 1000;
  const auto mag = static_cast<std::uint64_t>(std::llabs(usec_total));
  if (mag >= (std::uint64_t{1} << 53)) {
    return std::stod(formatEpoch(ts));  // beyond year 2255: keep the exact old path
  }
  const double v = static_cast<double>(mag) / 1e6;
  return usec_total < 0 ? -v : v;
}

}  // namespace

model::Fields summaryToJson(const Summary& s) {
  model::Fields j = model::Fields::object();
  model::setMember(j, "schema", kSummarySchema);
  model::setMember(j, "type", "summary");
  model::setMember(j, "files", s.files);
  if (!s.interface.empty()) {
    model::setMember(j, "interface", s.interface);
  }
  model::setMember(j, "packets", s.packets);
  model::setMember(j, "bytes", s.bytes);
  model::setMember(j, "capture_start",
                   s.capture_start ? model::Fields(epochSeconds(*s.capture_start))
                                   : model::Fields(nullptr));
  model::setMember(j, "capture_end",
                   s.capture_end ? model::Fields(epochSeconds(*s.capture_end))
                                 : model::Fields(nullptr));
  model::setMember(j, "drops", s.drops ? model::Fields(*s.drops) : model::Fields(nullptr));
  model::setMember(j, "connections", s.connections);
  model::setMember(j, "by_outcome", s.by_outcome);
  model::setMember(j, "by_failure_stage", s.by_failure_stage);
  model::setMember(j, "by_cause", s.by_cause);
  model::setMember(j, "anomalies", s.anomalies);
  model::setMember(j, "attempts", s.attempts);
  return j;
}

namespace {

// A reused output buffer grown past this by one huge connection is given back (see trim() and
// releaseLargeBuffer()).
constexpr std::size_t kKeepAtMost = std::size_t{4} << 20;

// The text of a line being written: a byte buffer kept from one line to the next (per thread),
// grown only when full. Its appends inline, so a fixed key or bracket is a few moves; through
// std::string::append, out of line, each cost more than the copy itself (issue 8).
class LineBuffer {
 public:
  LineBuffer() : data_(std::make_unique_for_overwrite<char[]>(kInitial)), capacity_(kInitial) {}
  void clear() { size_ = 0; }
  std::string_view view() const { return {data_.get(), size_}; }
  [[gnu::always_inline]] void push_back(char c) {
    room(1);
    data_[size_++] = c;
  }
  [[gnu::always_inline]] void append(const char* p, std::size_t n) {
    room(n);
    std::memcpy(data_.get() + size_, p, n);
    size_ += n;
  }
  [[gnu::always_inline]] void append(std::string_view s) { append(s.data(), s.size()); }
  // An integer in decimal, written in place.
  template <class Int>
  void appendNumber(Int v) {
    constexpr std::size_t kDigits = 24;  // 20 digits and a sign at most
    room(kDigits);
    char* p = data_.get() + size_;
    size_ += static_cast<std::size_t>(std::to_chars(p, p + kDigits, v).ptr - p);
  }
  // After a huge line, the memory goes back (as for the std::string buffers before).
  void trim() {
    if (capacity_ > kKeepAtMost) {
      data_ = std::make_unique_for_overwrite<char[]>(kInitial);
      capacity_ = kInitial;
      size_ = 0;
    }
  }

 private:
  static constexpr std::size_t kInitial = std::size_t{64} << 10;
  [[gnu::always_inline]] void room(std::size_t n) {
    if (capacity_ - size_ < n) [[unlikely]] {
      grow(n);
    }
  }
  [[gnu::noinline]] void grow(std::size_t n) {
    const std::size_t capacity = std::max(2 * capacity_, size_ + n);
    auto data = std::make_unique_for_overwrite<char[]>(capacity);
    std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// nlohmann's serializer writing into a LineBuffer (for floats and strings that need escaping).
class LineBufferAdapter final : public nlohmann::detail::output_adapter_protocol<char> {
 public:
  explicit LineBufferAdapter(LineBuffer& buf) : buf_(buf) {}
  void write_character(char c) override { buf_.push_back(c); }
  void write_characters(const char* s, std::size_t length) override { buf_.append(s, length); }

 private:
  LineBuffer& buf_;
};

// What dump() writes for a double: "null" when not finite, else nlohmann's own shortest-form
// formatter (the function its serializer calls), without building a temporary basic_json.
template <class Out>
void appendDouble(Out& out, double v) {
  if (!std::isfinite(v)) {
    out.append("null");
    return;
  }
  std::array<char, 64> tmp{};
  const char* end = nlohmann::detail::to_chars(tmp.data(), tmp.data() + tmp.size(), v);
  out.append(tmp.data(), static_cast<std::size_t>(end - tmp.data()));
}

// A time in seconds, epochSeconds(ts), written as the shortest decimal that reads back as that
// double. It has microsecond resolution: the value is mag / 10^6 for an integer mag, and from
// 10^-4 s (below, dump() switches to exponent notation) to 2^32 s its shortest form is that
// decimal itself, trailing zeros dropped: a double there is closer than 5*10^-7 to its
// neighbours, so no other decimal of at most six places reads back as it. Written directly from
// the integer, without the double formatter (every event has a "t"). dump()'s formatter (Grisu2)
// gives the same text except in about 0.1 % of values, where it is not the shortest
// (0.0006489999999999999 for 0.000649); both read back as the same double. Negative times
// (timestamps going backwards in the capture) keep their sign, under one second too.
template <class Out>
void appendSeconds(Out& out, Timestamp ts) {
  const std::int64_t usec_total = ts.ns / 1000;
  constexpr std::uint64_t kMaxMag = (std::uint64_t{1} << 32) * 1'000'000U;
  const auto mag = static_cast<std::uint64_t>(std::llabs(usec_total));
  if (mag < 100 || mag >= kMaxMag) {
    appendDouble(out, epochSeconds(ts));
    return;
  }
  std::array<char, 32> tmp{};
  char* p = tmp.data() + tmp.size();
  std::uint64_t frac = mag % 1'000'000U;
  std::uint64_t whole = mag / 1'000'000U;
  int places = 6;
  while (places > 1 && frac % 10 == 0) {
    frac /= 10;
    --places;
  }
  for (int i = 0; i < places; ++i) {
    *--p = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  *--p = '.';
  do {
    *--p = static_cast<char>('0' + whole % 10);
    whole /= 10;
  } while (whole != 0);
  if (usec_total < 0) {
    *--p = '-';
  }
  out.append(p, static_cast<std::size_t>(tmp.data() + tmp.size() - p));
}

// Writes the same text as connectionToJson(c, redact).dump(-1, ' ', false, replace) without
// building the tree: the connection's own JSON values (rdp, tls, credssp, event fields...) are
// serialized in place by nlohmann's serializer (the one dump() uses), scalars through it too, so
// numbers, escaping and invalid UTF-8 replacement are byte-identical.
class LineWriter {
 public:
  explicit LineWriter(LineBuffer& buf)
      : buf_(buf),
        ser_(std::make_shared<LineBufferAdapter>(buf), ' ',
             nlohmann::json::error_handler_t::replace) {}

  void raw(std::string_view s) { buf_.append(s); }
  void key(std::string_view k) { name(k, false); }    // "k": (k plain ASCII)
  void member(std::string_view k) { name(k, true); }  // ,"k": (k plain ASCII)
  // A JSON array of `items`, each written by write(item).
  template <class Items, class Write>
  void array(const Items& items, Write write) {
    buf_.push_back('[');
    bool first = true;
    for (const auto& item : items) {
      if (!first) {
        buf_.push_back(',');
      }
      first = false;
      write(item);
    }
    buf_.push_back(']');
  }
  // A JSON value as dump() writes it: containers walked here, plain strings and integers
  // written directly, everything else (floats, strings needing escapes or UTF-8 checks) by
  // nlohmann's serializer on the value itself (no copy).
  void value(const model::Fields& v) {
    switch (v.type()) {
      case nlohmann::json::value_t::object: {
        // The ordered_map underneath is a vector of (key, value) pairs: walked directly, not
        // through basic_json's iterators (a type switch on every step).
        buf_.push_back('{');
        bool first = true;
        const auto& members = *v.get_ptr<const model::Fields::object_t*>();
        for (const auto& m : members) {
          prefetch(m.second);
        }
        for (const auto& [k, member] : members) {
          if (plain(k)) {
            name(k, !first);
          } else {
            if (!first) {
              buf_.push_back(',');
            }
            ser_.dump(model::Fields(k), false, false, 0);
            buf_.push_back(':');
          }
          first = false;
          value(member);
        }
        buf_.push_back('}');
        return;
      }
      case nlohmann::json::value_t::array: {
        const auto& elements = *v.get_ptr<const model::Fields::array_t*>();
        for (const auto& e : elements) {
          prefetch(e);
        }
        array(elements, [this](const model::Fields& e) { value(e); });
        return;
      }
      case nlohmann::json::value_t::string: {
        const auto& s = *v.get_ptr<const model::Fields::string_t*>();
        if (plain(s)) {
          quoted(s);
        } else {
          ser_.dump(v, false, false, 0);
        }
        return;
      }
      case nlohmann::json::value_t::number_float:
        dbl(*v.get_ptr<const model::Fields::number_float_t*>());
        return;
      case nlohmann::json::value_t::number_unsigned:
        num(v.get<std::uint64_t>());
        return;
      case nlohmann::json::value_t::number_integer:
        inum(v.get<std::int64_t>());
        return;
      case nlohmann::json::value_t::boolean:
        boolean(v.get<bool>());
        return;
      case nlohmann::json::value_t::null:
        null();
        return;
      default:
        ser_.dump(v, false, false, 0);
        return;
    }
  }
  // Asks for the heap block behind a value (a string, object or array) ahead of its visit. The
  // trees were built over a connection's whole life, interleaved with other connections' in
  // memory: walked in order, the writer waited on a cache miss at nearly every node.
  static void prefetch(const model::Fields& v) {
    const void* p = nullptr;
    switch (v.type()) {
      case nlohmann::json::value_t::object:
        p = v.get_ptr<const model::Fields::object_t*>();
        break;
      case nlohmann::json::value_t::array:
        p = v.get_ptr<const model::Fields::array_t*>();
        break;
      case nlohmann::json::value_t::string:
        p = v.get_ptr<const model::Fields::string_t*>();
        break;
      default:
        return;
    }
    __builtin_prefetch(p);
  }
  // Printable ASCII without quote or backslash: nlohmann writes it unchanged.
  static bool plain(std::string_view s) {
    static constexpr std::array<bool, 256> kPlain = [] {
      std::array<bool, 256> t{};
      for (int c = 0x20; c < 0x7F; ++c) {
        t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
      }
      return t;
    }();
    // Eight bytes at a time (summaries and names are long), with the exact byte tests of "Bit
    // Twiddling Hacks": a byte < 0x20, a byte >= 0x7F, a '"' or a '\\'.
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    auto has_zero = [](std::uint64_t v) { return ((v - kOnes) & ~v & kHigh) != 0; };
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, s.data() + i, 8);
      const bool control = ((w - kOnes * 0x20) & ~w & kHigh) != 0;
      const bool del_or_high = (((w + kOnes) | w) & kHigh) != 0;  // a carry needs a byte >= 0x80
      if (control || del_or_high || has_zero(w ^ (kOnes * '"')) || has_zero(w ^ (kOnes * '\\'))) {
        return false;
      }
    }
    for (; i < s.size(); ++i) {
      if (!kPlain[static_cast<unsigned char>(s[i])]) {
        return false;
      }
    }
    return true;
  }
  void quoted(std::string_view s) {
    buf_.push_back('"');
    buf_.append(s);
    buf_.push_back('"');
  }
  void str(std::string_view s) {
    if (plain(s)) {
      quoted(s);
    } else {
      ser_.dump(model::Fields(std::string(s)), false, false, 0);
    }
  }
  // Free text that may hold invalid UTF-8 (summaries, notes): as str(sanitizeUtf8(s)), without
  // the copy when the text is plain ASCII (sanitizeUtf8 leaves ASCII unchanged).
  void text(std::string_view s) {
    if (plain(s)) {
      quoted(s);
    } else {
      str(sanitizeUtf8(s));
    }
  }
  void num(std::uint64_t v) { buf_.appendNumber(v); }
  void inum(std::int64_t v) { buf_.appendNumber(v); }
  void dbl(double v) { appendDouble(buf_, v); }
  void seconds(Timestamp ts) { appendSeconds(buf_, ts); }
  void boolean(bool b) { buf_.append(b ? "true" : "false"); }
  void null() { buf_.append("null"); }
  void strOrNull(const std::string& s) {
    if (s.empty()) {
      null();
    } else {
      str(s);
    }
  }
  // A stage name, or null when the event / connection has none.
  void stageOrNull(const std::optional<model::Stage>& stage) {
    if (stage) {
      str(model::stageName(*stage));
    } else {
      null();
    }
  }

 private:
  // Keys are short: composed on the stack and appended once (three appends cost more).
  void name(std::string_view k, bool comma) {
    char tmp[64];
    if (k.size() + 4 > sizeof tmp) {
      buf_.append(comma ? ",\"" : "\"");
      buf_.append(k);
      buf_.append("\":");
      return;
    }
    char* p = tmp;
    if (comma) {
      *p++ = ',';
    }
    *p++ = '"';
    std::memcpy(p, k.data(), k.size());
    p += k.size();
    *p++ = '"';
    *p++ = ':';
    buf_.append(tmp, static_cast<std::size_t>(p - tmp));
  }

  LineBuffer& buf_;
  nlohmann::detail::serializer<model::Fields> ser_;
};

// A compact event's "summary" and "fields" written straight into the line: the same text as its
// built Event (model::expandCompact) through LineWriter::text and value, without the tree.
// Summary parts are gathered first (the whole text is checked for escapes at once).
class CompactEventWriter final : public model::EventBodySink {
 public:
  CompactEventWriter(LineWriter& w, std::string& summary) : w_(w), summary_(summary) {
    summary_.clear();
  }
  void summary(std::string_view part) override { summary_.append(part); }
  void fieldNumber(std::string_view key, std::uint64_t value) override {
    nextField(key);
    w_.num(value);
  }
  void fieldFlag(std::string_view key, bool value) override {
    nextField(key);
    w_.boolean(value);
  }
  void fieldText(std::string_view key, std::string_view value) override {
    nextField(key);
    w_.str(value);
  }
  void fieldValue(std::string_view key, const model::Fields& value) override {
    nextField(key);
    w_.value(value);
  }
  void fieldNull(std::string_view key) override {
    nextField(key);
    w_.null();
  }
  void beginList(std::string_view key) override {
    nextField(key);
    w_.raw("[");
    list_empty_ = true;
  }
  void listText(std::string_view element) override {
    if (!list_empty_) {
      w_.raw(",");
    }
    list_empty_ = false;
    w_.str(element);
  }
  void endList() override { w_.raw("]"); }
  void beginObject(std::string_view key) override {
    nextField(key);
    w_.raw("{");
    open_.push_back(Open{true, false});
  }
  void endObject() override {
    open_.pop_back();
    w_.raw("}");
  }
  void beginArray(std::string_view key) override {
    nextField(key);
    w_.raw("[");
    open_.push_back(Open{true, true});
  }
  void endArray() override {
    open_.pop_back();
    w_.raw("]");
  }
  // Closes the fields object (writes the summary and an empty object if no field came).
  void finish() {
    if (!fields_open_) {
      openFields();
    }
    w_.raw("}");
  }

 private:
  void openFields() {
    w_.text(summary_);
    w_.member("fields");
    w_.raw("{");
    fields_open_ = true;
  }
  // Starts the next member of the innermost object, or the next element of the innermost
  // array (its objects come with an empty key).
  void nextField(std::string_view key) {
    if (!fields_open_) {
      openFields();
      w_.key(key);
      return;
    }
    if (open_.empty()) {
      w_.member(key);
      return;
    }
    Open& inner = open_.back();
    const bool comma = !inner.empty;
    inner.empty = false;
    if (inner.array) {
      if (comma) {
        w_.raw(",");
      }
    } else if (comma) {
      w_.member(key);
    } else {
      w_.key(key);
    }
  }

  // A nested object or array being written.
  struct Open {
    bool empty = true;
    bool array = false;
  };
  LineWriter& w_;
  std::string& summary_;
  bool fields_open_ = false;
  bool list_empty_ = true;
  std::vector<Open> open_;
};

// What a compact event was last written as after its "summary" key, for the next event with the
// same body and direction: describe() gives a function of those only (model::CompactBody). Used
// for a payload shared by every connection of a client program (a ClientHello: tls_dissector's
// clientHelloPayload; writing its name lists again was most of its cost), and for bulk bodies
// without a payload (findStubText). An entry keeps its payload alive, so an address is never
// another payload's; `describe` null marks an entry to fill.
struct DescribedText {
  std::shared_ptr<const model::CompactPayload> payload;
  decltype(model::CompactBody::describe) describe = nullptr;
  model::Direction dir = model::Direction::ToServer;
  std::uint64_t value = 0;
  std::uint32_t flags = 0;
  std::string text;
  std::string json;

  bool matches(const model::Event& ev) const {
    return payload == ev.compact.payload && describe == ev.compact.describe && dir == ev.dir &&
           value == ev.compact.value && flags == ev.compact.flags && text == ev.compact.text;
  }
  void remember(const model::Event& ev, std::string_view written) {
    payload = ev.compact.payload;
    describe = ev.compact.describe;
    dir = ev.dir;
    value = ev.compact.value;
    flags = ev.compact.flags;
    text = ev.compact.text;
    json.assign(written);
  }
};

// The entry holding `ev`'s text (describe set), or the one to fill after writing it (describe
// cleared).
DescribedText* findDescribed(const model::Event& ev) {
  thread_local std::array<DescribedText, 4> memo;
  thread_local std::size_t next = 0;
  for (DescribedText& d : memo) {
    if (d.describe != nullptr && d.matches(ev)) {
      return &d;
    }
  }
  DescribedText& victim = memo[next];
  next = (next + 1) % memo.size();
  victim.describe = nullptr;
  victim.payload.reset();
  return &victim;
}

// The same for a compact event without a payload (a kept bulk event: application data, fast-path,
// channel data...): its text is a function of the describe function, the direction, the number,
// the flags and the text, and the same ones come again and again (a handshake's records have the
// same lengths from one connection of a client program to the next). A table of 256 entries
// indexed by those (issue 8: these bodies were ~3 % of a run with keys).
DescribedText* findStubText(const model::Event& ev) {
  thread_local std::array<DescribedText, 256> table;
  const model::CompactBody& body = ev.compact;
  std::uint64_t h = std::hash<const void*>{}(reinterpret_cast<const void*>(body.describe));
  for (const std::uint64_t part :
       {body.value, std::uint64_t{body.flags}, static_cast<std::uint64_t>(ev.dir)}) {
    h = hashMix(h, part);
  }
  if (!body.text.empty()) {
    h = hashMix(h, std::hash<std::string_view>{}(body.text));
  }
  DescribedText& slot = table[h % table.size()];
  if (slot.describe != nullptr && slot.matches(ev)) {
    return &slot;
  }
  slot.describe = nullptr;
  return &slot;
}

// The text last written after "summary": for recorded bodies (model::EventBuilder) with the same
// record: a handshake PDU of one client program or server is the same from one connection to the
// next (channel joins, finalization, capability sets, licensing...), and its record with it, so
// its text is made once (issue 8: writing recorded bodies was ~40 % of the writer with keys).
// Equal records give equal text (describeRecorded reads nothing else). Per thread, bounded:
// emptied when it holds kMaxRecords records or kMaxBytes of records and texts. Where records
// rarely repeat, keeping them costs more than it saves (hashing, a copy of each text): after a
// window of lookups with few hits it pauses for a while, then tries again.
class RecordedText {
 public:
  // The text for this record, or nullptr.
  const std::string* find(const model::RecordedBody& body) {
    if (paused_ > 0) {
      --paused_;
      return nullptr;
    }
    if (++lookups_ == kWindow) {
      if (hits_ * kMinHitShare < kWindow) {
        paused_ = kPause;
      }
      lookups_ = 0;
      hits_ = 0;
    }
    const auto it = texts_.find(hashOf(body));
    if (it == texts_.end() || !sameRecord(*it->second.record, body)) {
      return nullptr;
    }
    ++hits_;
    return &it->second.text;
  }
  // After a miss: keeps the text written for `record` (its payload held, so that the entry's
  // record is still there to compare with).
  void remember(const std::shared_ptr<const model::CompactPayload>& record, std::string_view text) {
    if (paused_ > 0) {
      return;
    }
    const auto& body = static_cast<const model::RecordedBody&>(*record);
    const std::size_t size = text.size() + recordSize(body);
    if (texts_.size() >= kMaxRecords || bytes_ + size > kMaxBytes) {
      texts_.clear();
      bytes_ = 0;
    }
    Entry& entry = texts_[hashOf(body)];  // a colliding record replaces the one kept
    if (entry.record != nullptr) {
      bytes_ -=
          std::min(bytes_, entry.text.size() +
                               recordSize(static_cast<const model::RecordedBody&>(*entry.record)));
    }
    bytes_ += size;
    entry.record = record;
    entry.text.assign(text);
  }

 private:
  static constexpr std::size_t kMaxRecords = 4096;
  static constexpr std::size_t kMaxBytes = std::size_t{4} << 20;
  static constexpr std::size_t kWindow = 2048;    // lookups per hit-rate check
  static constexpr std::size_t kMinHitShare = 8;  // pause below 1 hit in 8
  static constexpr std::size_t kPause = 16384;    // events written without looking

  struct Entry {
    std::shared_ptr<const model::CompactPayload> record;
    std::string text;
  };
  static std::size_t hashOf(const model::RecordedBody& body) {
    return hashMix(hashBytes(body.summaryText()), hashBytes(body.calls()));
  }
  // What a kept record holds besides its text: its summary and calls.
  static std::size_t recordSize(const model::RecordedBody& body) {
    return body.summaryText().size() + body.calls().size();
  }
  static bool sameRecord(const model::CompactPayload& kept, const model::RecordedBody& body) {
    const auto& k = static_cast<const model::RecordedBody&>(kept);
    return k.summaryText() == body.summaryText() && k.calls() == body.calls();
  }

  std::unordered_map<std::size_t, Entry> texts_;
  std::size_t bytes_ = 0;
  std::size_t lookups_ = 0;
  std::size_t hits_ = 0;
  std::size_t paused_ = 0;
};

void writeDiagnosis(LineWriter& w, const model::Diagnosis& d) {
  w.raw("{");
  w.key("rule");
  w.str(d.rule);
  w.member("stage");
  w.str(model::stageName(d.stage));
  w.member("cause");
  w.str(d.cause);
  w.member("confidence");
  w.str(d.confidence);
  w.member("client_error");
  if (d.client_error) {
    const model::ClientError& ce = *d.client_error;
    w.raw("{");
    w.key("code");
    ce.code ? w.str(*ce.code) : w.null();
    w.member("extended");
    ce.extended ? w.str(*ce.extended) : w.null();
    w.member("message");
    w.str(ce.message);
    w.raw("}");
  } else {
    w.null();
  }
  w.member("evidence");
  w.array(d.evidence, [&w](const model::Evidence& e) {
    w.raw("{");
    w.key("fact");
    w.str(e.fact);
    w.member("value");
    e.value ? w.str(*e.value) : w.null();
    w.member("frames");
    w.array(e.frames, [&w](std::uint64_t frame) { w.num(frame); });
    w.member("text");
    w.str(e.text);
    w.raw("}");
  });
  w.member("remediation");
  w.array(d.remediation, [&w](const std::string& fix) { w.str(fix); });
  w.member("reference");
  w.str(d.reference);
  w.raw("}");
}

void writePair(LineWriter& w, const char* name, std::uint64_t to_server, std::uint64_t to_client) {
  w.member(name);
  w.raw("{");
  w.key("to_server");
  w.num(to_server);
  w.member("to_client");
  w.num(to_client);
  w.raw("}");
}

// The first members: the only ones that depend on the output position (id, attempt).
void writeHead(LineBuffer& buf, std::uint64_t id, const std::string& attempt) {
  LineWriter w(buf);
  w.raw("{");
  w.key("schema");
  w.str(kConnectionSchema);
  w.member("type");
  w.str("connection");
  w.member("id");
  w.num(id);
  w.member("attempt");
  w.strOrNull(attempt);
}

// `,"dir":"<direction>","kind":` of an event line, for each direction: one append.
std::string_view dirKind(model::Direction dir) {
  static const std::array<std::string, 2> kTexts = [] {
    std::array<std::string, 2> t;
    for (const auto d : {model::Direction::ToServer, model::Direction::ToClient}) {
      std::string& text = t[d == model::Direction::ToServer ? 0 : 1];
      text.append(",\"dir\":\"");
      text.append(model::directionName(d));
      text.append("\",\"kind\":");
    }
    return t;
  }();
  return kTexts[dir == model::Direction::ToServer ? 0 : 1];
}

// The constant middle of an event line, from the comma before "stage" to the colon after
// "summary", for each stage (or none) and decrypted flag: one append instead of six.
std::string_view stageDecryptedSummary(const std::optional<model::Stage>& stage, bool decrypted) {
  static const std::array<std::string, 2 * (model::kStageCount + 1)> kTexts = [] {
    std::array<std::string, 2 * (model::kStageCount + 1)> t;
    for (int s = 0; s <= model::kStageCount; ++s) {
      for (int d = 0; d < 2; ++d) {
        std::string& text = t[static_cast<std::size_t>(2 * s + d)];
        text.append(",\"stage\":");
        if (s == model::kStageCount) {
          text.append("null");
        } else {
          text.push_back('"');
          text.append(model::stageName(static_cast<model::Stage>(s)));
          text.push_back('"');
        }
        text.append(d != 0 ? ",\"decrypted\":true" : ",\"decrypted\":false");
        text.append(",\"summary\":");
      }
    }
    return t;
  }();
  const int s = stage ? std::min(static_cast<int>(*stage), model::kStageCount) : model::kStageCount;
  return kTexts[static_cast<std::size_t>(2 * s + (decrypted ? 1 : 0))];
}

// Everything after "attempt", from the comma before "transport" to the closing brace.
void writeBody(LineBuffer& buf, const model::Connection& c, bool redact) {
  using model::Direction;
  LineWriter w(buf);
  w.member("transport");
  w.str(c.transport);
  for (const auto& [name, ep] : {std::pair<const char*, const model::Endpoint*>{"client", &c.client},
                                 {"server", &c.server}}) {
    w.member(name);
    w.raw("{");
    w.key("ip");
    w.str(ep->ip);
    w.member("port");
    w.num(ep->port);
    w.raw("}");
  }
  w.member("client_decided_by");
  w.str(c.client_decided_by);
  w.member("detected_by");
  w.str(c.detected_by);
  w.member("start");
  w.seconds(c.start);
  w.member("end");
  w.seconds(c.end);
  w.member("duration");
  w.dbl(secondsBetween(c.start, c.end));
  const auto& up = c.dir(Direction::ToServer);
  const auto& down = c.dir(Direction::ToClient);
  writePair(w, "packets", up.packets, down.packets);
  writePair(w, "bytes", up.bytes, down.bytes);
  writePair(w, "frame_bytes", up.frame_bytes, down.frame_bytes);
  w.member("tcp");
  w.raw("{");
  w.key("end");
  w.strOrNull(c.tcp_end);
  w.member("syn_retries");
  w.num(c.syn_retries);
  w.member("unanswered_tail");
  if (c.unanswered_tail_from) {
    w.raw("{");
    w.key("from");
    w.str(*c.unanswered_tail_from == Direction::ToServer ? "client" : "server");
    w.member("packets");
    w.num(c.unanswered_tail_packets);
    w.member("seconds");
    w.dbl(c.unanswered_tail_seconds);
    w.raw("}");
  } else {
    w.null();
  }
  for (auto d : {Direction::ToServer, Direction::ToClient}) {
    const auto& k = c.dir(d);
    w.member(model::directionName(d));
    w.raw("{");
    w.key("retransmissions");
    w.num(k.retransmissions);
    w.member("overlaps");
    w.num(k.overlaps);
    w.member("out_of_order");
    w.num(k.out_of_order);
    w.member("gap_bytes");
    w.num(k.gap_bytes);
    w.member("zero_windows");
    w.num(k.zero_windows);
    w.raw("}");
  }
  w.raw("}");
  w.member("stage_reached");
  w.stageOrNull(c.stage_reached);
  w.member("outcome");
  w.strOrNull(c.outcome);
  w.member("diagnosis");
  if (c.diagnosis) {
    writeDiagnosis(w, *c.diagnosis);
  } else {
    w.null();
  }
  w.member("observations");
  w.array(c.observations, [&w](const model::Diagnosis& o) { writeDiagnosis(w, o); });
  if (redact) {
    model::Fields rdp = c.rdp;
    model::Fields credssp = c.credssp;
    redactObject(rdp);
    redactObject(credssp);
    w.member("rdp");
    w.value(rdp);
    w.member("tls");
    w.value(c.tls);
    w.member("credssp");
    w.value(credssp);
  } else {
    w.member("rdp");
    w.value(c.rdp);
    w.member("tls");
    w.value(c.tls);
    w.member("credssp");
    w.value(c.credssp);
  }
  if (c.transport == "udp") {
    w.member("udp");
    w.value(c.udp);
  }
  w.member("notes");
  w.array(c.notes, [&w](const std::string& note) { w.text(note); });
  w.member("events_suppressed");
  w.num(c.events_suppressed);
  w.member("events");
  w.raw("[");
  // Events of one packet share its time: the text of the previous "t" is reused (about half of
  // all events; the double formatter was the writer's largest single cost after the tree walk).
  std::string t_text;
  std::optional<std::int64_t> t_ns;
  std::string compact_summary;  // reused by every compact event
  thread_local RecordedText recorded_text;
  for (std::size_t i = 0; i < c.events.size(); ++i) {
    const model::Event& ev = c.events[i];
    if (i + 1 < c.events.size()) {  // its blocks are cold too (see LineWriter::prefetch)
      const model::Event& next = c.events[i + 1];
      __builtin_prefetch(next.kind.data());
      __builtin_prefetch(next.summary.data());
      LineWriter::prefetch(next.fields);
    }
    w.raw(i == 0 ? "{\"frame\":" : ",{\"frame\":");
    w.num(ev.frame);
    w.raw(",\"t\":");
    if (t_ns != ev.ts.ns) {
      t_ns = ev.ts.ns;
      t_text.clear();
      appendSeconds(t_text, Timestamp{ev.ts.ns - c.start.ns});
    }
    w.raw(t_text);
    w.raw(dirKind(ev.dir));
    w.str(ev.kind);
    w.raw(stageDecryptedSummary(ev.stage, ev.decrypted));
    if (ev.isCompact() && !redact) {
      const std::size_t mark = buf.view().size();
      const auto* recorded = ev.compact.describe == &model::describeRecorded
                                 ? static_cast<const model::RecordedBody*>(ev.compact.payload.get())
                                 : nullptr;
      const bool reuse_recorded = recorded != nullptr && !recorded->hasTreeValues();
      const std::string* recorded_hit = reuse_recorded ? recorded_text.find(*recorded) : nullptr;
      // A recorded body is its event's own object: the payload memo below cannot match it.
      DescribedText* memo = recorded != nullptr             ? nullptr
                            : ev.compact.payload != nullptr ? findDescribed(ev)
                                                            : findStubText(ev);
      if (recorded_hit != nullptr) {
        w.raw(*recorded_hit);
      } else if (memo != nullptr && memo->describe != nullptr) {
        w.raw(memo->json);
      } else {
        CompactEventWriter body(w, compact_summary);
        ev.compact.describe(ev.compact, ev.dir, body);
        body.finish();
        if (memo != nullptr) {
          memo->remember(ev, buf.view().substr(mark));
        } else if (reuse_recorded) {
          recorded_text.remember(ev.compact.payload, buf.view().substr(mark));
        }
      }
    } else if (redact) {
      // Redaction reads the built summary and fields (a copy only for a compact event).
      std::optional<model::Event> built;
      const model::Event* shown = &ev;
      if (ev.isCompact()) {
        built.emplace(ev);
        model::expandCompact(*built);
        shown = &*built;
      }
      w.text(detail::eventText(*shown, true));
      w.member("fields");
      w.value(detail::displayFields(*shown, true));
    } else {
      w.text(ev.summary);
      w.member("fields");
      w.value(ev.fields);
    }
    w.raw("}");
  }
  w.raw("]");
  w.raw("}");
}

void writeConnection(LineBuffer& buf, const model::Connection& c, bool redact) {
  writeHead(buf, c.id, c.attempt);
  writeBody(buf, c, redact);
}

// This thread's buffer for whole lines and tails (each public function below empties it first).
LineBuffer& threadLine() {
  thread_local LineBuffer line;
  line.trim();
  line.clear();
  return line;
}

}  // namespace

void releaseLargeBuffer(std::string& buf) {
  if (buf.capacity() > kKeepAtMost) {
    std::string().swap(buf);
  }
}

std::string_view connectionJsonTailView(const model::Connection& conn, bool redact) {
  LineBuffer& line = threadLine();
  writeBody(line, conn, redact);
  return line.view();
}

std::string connectionJsonTail(const model::Connection& conn, bool redact) {
  return std::string(connectionJsonTailView(conn, redact));
}

void writeJsonLineHead(std::ostream& out, std::uint64_t id, const std::string& attempt) {
  thread_local LineBuffer head;  // not threadLine(): a tail written next may be a view of that one
  head.clear();
  writeHead(head, id, attempt);
  out.write(head.view().data(), static_cast<std::streamsize>(head.view().size()));
}

void writeJsonLineTail(std::ostream& out, std::uint64_t id, const std::string& attempt,
                       std::string_view tail) {
  writeJsonLineHead(out, id, attempt);
  out.write(tail.data(), static_cast<std::streamsize>(tail.size()));
  out.put('\n');
}

void writeJsonLine(std::ostream& out, const model::Connection& conn, bool redact) {
  LineBuffer& line = threadLine();
  writeConnection(line, conn, redact);
  line.push_back('\n');
  out.write(line.view().data(), static_cast<std::streamsize>(line.view().size()));
}

void writeJsonSummary(std::ostream& out, const Summary& summary) {
  out << summaryToJson(summary).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
      << '\n';
}

}  // namespace rdpscope::output
