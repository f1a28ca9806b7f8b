// Builds an event as the record of its summary and field calls (model::EventBodySink), kept in
// one buffer, instead of a field tree: what the dissectors use for the events of every PDU they
// decode. The event is compact (Event::isCompact) with a RecordedBody payload; readers that need
// a tree get it from model::expandCompact, the streaming JSON writer writes the record as it is.
//
//   model::EventBuilder b;
//   b.summary("MCS Channel Join Request ");
//   b.summaryNumber(id);
//   b.set("channel_id", id);
//   ctx.emit(std::move(b).build("mcs.channel_join_request", Stage::ChannelSetup));
//
// Issue 8: a field tree costs an allocation per member, key and string value, and its walk in
// the writer a cache miss per node; a decrypted handshake emits ~50 events per connection.
// Fields come out in the order they are set; setting a key twice records it twice (unlike
// setMember on a tree), so builders set each key once.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "model/event.h"

namespace rdpscope::model {

// The recorded calls: one byte of operation, then the key (one length byte, at most 255 bytes)
// and the value. Read back only by replay().
class RecordedBody final : public CompactPayload {
 public:
  // Gives the recorded summary, then every recorded field call, in order.
  void replay(EventBodySink& sink) const;
  // The record itself: equal records replay the same calls. Values given as trees (fieldValue)
  // are kept apart, so a record with any is not fully described by these bytes.
  std::string_view summaryText() const { return summary_; }
  std::string_view calls() const { return ops_; }
  bool hasTreeValues() const { return !values_.empty(); }

 private:
  friend class EventBuilder;
  std::string summary_;
  std::string ops_;
  std::vector<Fields> values_;  // fieldValue() payloads, by index
};

// The describe function of events whose payload is a RecordedBody.
void describeRecorded(const CompactBody& body, Direction dir, EventBodySink& sink);

class EventBuilder final : public EventBodySink {
 public:
  EventBuilder();

  // EventBodySink: recorded. Summary parts may come at any time (they are kept apart).
  void summary(std::string_view part) override;
  void fieldNumber(std::string_view key, std::uint64_t value) override;
  void fieldFlag(std::string_view key, bool value) override;
  void fieldText(std::string_view key, std::string_view value) override;
  void fieldValue(std::string_view key, const Fields& value) override;
  void fieldNull(std::string_view key) override;
  void beginList(std::string_view key) override;
  void listText(std::string_view element) override;
  void endList() override;
  void beginObject(std::string_view key) override;
  void endObject() override;
  void beginArray(std::string_view key) override;
  void endArray() override;

  // The summary so far replaced by `text`.
  void setSummary(std::string text);

  // key = value by the value's type, as setMember(fields, key, value) would store it: booleans
  // as flags, non-negative integers as numbers, text as text, null as null, anything else (a
  // negative number, a double, a tree) as a value.
  template <class T>
  void set(std::string_view key, const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      fieldFlag(key, value);
    } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
      fieldNumber(key, value);
    } else if constexpr (std::is_integral_v<T>) {
      if (value >= 0) {
        fieldNumber(key, static_cast<std::uint64_t>(value));
      } else {
        fieldValue(key, Fields(static_cast<std::int64_t>(value)));
      }
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      fieldText(key, std::string_view(value));
    } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
      fieldNull(key);
    } else if constexpr (std::is_same_v<T, Fields>) {
      setTree(key, value);
    } else {
      setTree(key, Fields(value));
    }
  }
  template <class T>
  void set(std::string_view key, const std::optional<T>& value) {
    if (value) {
      set(key, *value);
    } else {
      fieldNull(key);
    }
  }
  // An array of strings.
  void setList(std::string_view key, const std::vector<std::string>& values);

  // The event (compact, its payload the record); the builder is spent.
  // `kind` is a string literal (Event::kind).
  Event build(std::string_view kind, std::optional<Stage> stage) &&;
  template <class S>
    requires std::same_as<std::remove_cvref_t<S>, std::string>
  Event build(S&& kind, std::optional<Stage> stage) && = delete;

 private:
  void setTree(std::string_view key, const Fields& value);
  void op(char code, std::string_view key);
  void u32(std::uint32_t v);
  void text(std::string_view s);

  std::shared_ptr<RecordedBody> body_;
};

}  // namespace rdpscope::model
