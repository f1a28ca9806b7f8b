// One entry of a connection's annotated timeline. Dissectors create events; the engine stamps
// frame, time and direction; rules and outputs read them. `kind` is a stable dotted name
// (protocol first: "x224.neg_failure", "tls.alert") and is part of the JSON contract.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/timestamp.h"
#include "model/stage.h"

namespace rdpscope::model {

enum class Direction : std::uint8_t { ToServer, ToClient };

inline const char* directionName(Direction dir) noexcept {
  return dir == Direction::ToServer ? "to_server" : "to_client";
}
inline Direction opposite(Direction dir) noexcept {
  return dir == Direction::ToServer ? Direction::ToClient : Direction::ToServer;
}

// Field values of an event, in insertion order (so JSON and text output are stable).
using Fields = nlohmann::ordered_json;

// Makes room for `extra` more members in an object (null becomes an empty object). The members
// are a vector of (const key, value) pairs, so every growth copies each key, allocating for keys
// over 15 characters: worth it where a dozen or more members are added one by one.
inline void reserveMembers(Fields& object, std::size_t extra) {
  if (object.is_null()) {
    object = Fields::object();
  }
  if (object.is_object()) {
    auto& members = object.get_ref<Fields::object_t&>();
    members.reserve(members.size() + extra);
  }
}

// object[key] = value, the way dissectors fill fields, without operator[]'s costs: it builds the
// key twice and a null placeholder, and every growth of the member vector deep-copies all values
// so far (see below). A key already present keeps its position and takes the new value; null
// becomes an empty object; anything else that is not an object throws, as operator[] does.
inline void setMember(Fields& object, std::string_view key, Fields value) {
  if (object.is_null()) {
    object = Fields::object();
  }
  auto& members = object.get_ref<Fields::object_t&>();
  for (auto& member : members) {
    if (member.first == key) {
      member.second = std::move(value);
      return;
    }
  }
  if (members.size() == members.capacity()) {
    // The vector's own growth would deep-copy every value: pair<const key, value> has no move
    // constructor that cannot throw. Grow by hand instead: keys copied, values moved.
    Fields::object_t grown;
    grown.reserve(std::max<std::size_t>(4, 2 * members.size()));
    for (auto& member : members) {
      grown.emplace_back(member.first, std::move(member.second));
    }
    members.swap(grown);
  }
  members.emplace_back(std::string(key), std::move(value));
}

// The member `key` of an object, or nullptr (also when `object` is not an object). Keys are
// compared as views, sizes first: find() compared every key in full.
inline const Fields* findMember(const Fields& object, std::string_view key) {
  if (!object.is_object()) {
    return nullptr;
  }
  for (const auto& member : object.get_ref<const Fields::object_t&>()) {
    if (member.first == key) {
      return &member.second;
    }
  }
  return nullptr;
}

// Frees a tree leaves first. basic_json's destructor is safe at any depth because it first moves
// every member of every container onto a heap-allocated stack; our trees are a few levels deep,
// so emptying the containers bottom-up skips that stack and those moves. Levels deeper than
// kMaxDepth are left to the destructor, which handles any depth.
inline void releaseTree(Fields& tree, int depth = 0) {
  constexpr int kMaxDepth = 32;
  if (tree.is_object()) {
    auto& members = tree.get_ref<Fields::object_t&>();
    if (depth < kMaxDepth) {
      for (auto& member : members) {
        releaseTree(member.second, depth + 1);
      }
    }
    members.clear();
  } else if (tree.is_array()) {
    auto& elements = tree.get_ref<Fields::array_t&>();
    if (depth < kMaxDepth) {
      for (auto& element : elements) {
        releaseTree(element, depth + 1);
      }
    }
    elements.clear();
  }
}

// Receives the summary and fields of a compact event (CompactBody, below) piece by piece: every
// describe function gives all summary parts first, then the fields in their output order. Keys
// are names from the source (plain ASCII, written unescaped), never text from the wire. The
// Event builder (expandCompact), the JSON writer (straight into the line, no tree) and the rules'
// field lookup (pickFields) implement it. Separate names per value type: a
// string literal would otherwise convert to bool before string_view.
class EventBodySink {
 public:
  virtual ~EventBodySink() = default;
  virtual void summary(std::string_view part) = 0;
  virtual void fieldNumber(std::string_view key, std::uint64_t value) = 0;
  virtual void fieldFlag(std::string_view key, bool value) = 0;
  virtual void fieldText(std::string_view key, std::string_view value) = 0;
  virtual void fieldValue(std::string_view key, const Fields& value) = 0;  // anything else
  virtual void fieldNull(std::string_view key) = 0;
  // An array of strings: beginList, listText for each element, endList.
  virtual void beginList(std::string_view key) = 0;
  virtual void listText(std::string_view element) = 0;
  virtual void endList() = 0;
  // A nested object: beginObject(key), its fields (the calls above, nested ones too),
  // endObject(). An array of objects: beginArray(key), each element as an object begun with an
  // empty key, endArray(). Only fields, never summary parts, come inside.
  virtual void beginObject(std::string_view key) = 0;
  virtual void endObject() = 0;
  virtual void beginArray(std::string_view key) = 0;
  virtual void endArray() = 0;
  // A number as a summary part (no allocation).
  void summaryNumber(std::uint64_t value);
};

// What a describe function may need beyond the numbers: a dissector's parsed PDU (a
// ClientHello's value lists), shared and never changed once made.
struct CompactPayload {
  virtual ~CompactPayload() = default;
};

// An event before its summary and fields exist: the dissector's few numbers (or a payload) and
// a describe function that produces them. The kept high-volume events (TLS application data,
// fast-path and channel PDUs), the ClientHello, and every event made with model::EventBuilder
// (its recorded calls as the payload, model/event_builder.h) come this way. Kept so until an
// output needs the text; the streaming JSON writer never builds them (issue 8: a tree built,
// written and freed for each event of a connection).
struct CompactBody {
  void (*describe)(const CompactBody& body, Direction dir, EventBodySink& sink) = nullptr;
  std::shared_ptr<const CompactPayload> payload;  // describe-defined; usually none
  std::uint64_t value = 0;   // describe-defined, e.g. the record length
  std::uint32_t flags = 0;   // describe-defined
  std::string text;          // describe-defined short text, e.g. a channel name (no allocation
                             // up to 15 characters)
};

struct Event {
  // Compact events start without a field tree (an empty object is a heap block); expandCompact()
  // makes it.
  struct CompactTag {};
  Event() = default;
  explicit Event(CompactTag) : fields(nullptr) {}

  std::uint64_t frame = 0;   // 1-based frame number in the input (engine fills)
  Timestamp ts{};            // capture time of that frame (engine fills)
  Direction dir = Direction::ToServer;
  // Dotted, e.g. "x224.connection_request": a string literal (static storage), so that no event
  // allocates or carries a copy of its kind.
  std::string_view kind;
  std::string summary;       // one line for humans
  std::optional<Stage> stage;  // handshake stage this PDU belongs to; none for tcp noise
  bool decrypted = false;    // seen only thanks to TLS decryption
  Fields fields = Fields::object();
  // Set while the event is compact: `summary` and `fields` are then empty, and what they will
  // hold is what compact.describe gives. Dissectors and the engine make them; the engine keeps
  // them compact only when its user asked for that (SessionConfig::compact_events) and builds
  // them otherwise. kind, stage, dir, decrypted, frame and ts are always set.
  CompactBody compact;

  bool isCompact() const { return compact.describe != nullptr; }

  // Convenience for dissectors: Event::make("x224.connection_request", Stage::Negotiation, "...")
  static Event make(std::string_view kind, std::optional<Stage> stage, std::string summary) {
    Event ev;
    ev.kind = kind;
    ev.stage = stage;
    ev.summary = std::move(summary);
    return ev;
  }
  // A kind must outlive the event: a std::string would not.
  template <class S>
    requires std::same_as<std::remove_cvref_t<S>, std::string>
  static Event make(S&& kind, std::optional<Stage> stage, std::string summary) = delete;
};

// Builds a compact event's summary and field tree in place (nothing to do for other events).
void expandCompact(Event& event);

// The event's field tree: its own, or for a compact event one built in a per-thread scratch
// event (kept for the last compact event asked for, so several reads of one event build it
// once). Valid until this thread's next call for another compact event. For readers that look
// up a few fields of a few events by name (the rules), not for bulk ones (pickFields).
const Fields& fieldsOf(const Event& event);

// A copy of the event's top-level member `key`, or nullopt when it has none: for a compact
// event without building its tree (the rules read one or two fields of an event).
std::optional<Fields> memberOf(const Event& event, std::string_view key);

// Number and flag fields of an event, compact or not: what the rules read from high-volume
// events, without building the compact one's tree, several in one pass: each pick's number or
// flag is set when its key holds an unsigned number or a boolean, else left nullopt.
struct FieldPick {
  std::string_view key;
  std::optional<std::uint64_t> number;
  std::optional<bool> flag;
};
void pickFields(const Event& event, std::span<FieldPick> picks);

}  // namespace rdpscope::model
