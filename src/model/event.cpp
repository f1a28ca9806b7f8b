#include "model/event.h"

#include <array>
#include <charconv>

namespace rdpscope::model {

void EventBodySink::summaryNumber(std::uint64_t value) {
  std::array<char, 24> digits{};
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
  summary(std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
}

namespace {

// Fills an Event's summary string and field tree, as every reader but the JSON writer needs.
class TreeSink final : public EventBodySink {
 public:
  explicit TreeSink(Event& event) : event_(event) {}
  void summary(std::string_view part) override { event_.summary.append(part); }
  void fieldNumber(std::string_view key, std::uint64_t value) override { add(key, value); }
  void fieldFlag(std::string_view key, bool value) override { add(key, value); }
  void fieldText(std::string_view key, std::string_view value) override {
    add(key, std::string(value));
  }
  void fieldValue(std::string_view key, const Fields& value) override { add(key, value); }
  void fieldNull(std::string_view key) override { add(key, nullptr); }
  void beginList(std::string_view key) override {
    list_key_ = key;
    list_ = Fields::array();
  }
  void listText(std::string_view element) override { list_.push_back(std::string(element)); }
  void endList() override { add(list_key_, std::move(list_)); }
  void beginObject(std::string_view key) override { open(key, Fields::object()); }
  void endObject() override { close(); }
  void beginArray(std::string_view key) override { open(key, Fields::array()); }
  void endArray() override { close(); }

 private:
  // The innermost open container: the event's fields, or a nested object or array.
  Fields& current() { return open_.empty() ? event_.fields : open_.back().value; }
  void add(std::string_view key, Fields value) {
    Fields& into = current();
    if (into.is_array()) {
      into.push_back(std::move(value));
    } else {
      setMember(into, key, std::move(value));
    }
  }
  void open(std::string_view key, Fields empty) {
    open_.push_back(Open{std::string(key), std::move(empty)});
  }
  void close() {
    Open done = std::move(open_.back());
    open_.pop_back();
    add(done.key, std::move(done.value));
  }

  struct Open {
    std::string key;
    Fields value;
  };
  Event& event_;
  std::string_view list_key_;
  Fields list_;
  std::vector<Open> open_;
};

// Catches the picked fields, ignoring the summary and every other field.
class PickSink final : public EventBodySink {
 public:
  explicit PickSink(std::span<FieldPick> picks) : picks_(picks) {}
  void summary(std::string_view /*part*/) override {}
  void fieldNumber(std::string_view key, std::uint64_t value) override {
    if (FieldPick* pick = find(key)) {
      pick->number = value;
    }
  }
  void fieldFlag(std::string_view key, bool value) override {
    if (FieldPick* pick = find(key)) {
      pick->flag = value;
    }
  }
  void fieldText(std::string_view /*key*/, std::string_view /*value*/) override {}
  void fieldValue(std::string_view key, const Fields& value) override {
    if (FieldPick* pick = find(key)) {
      pickValue(*pick, value);
    }
  }
  void fieldNull(std::string_view /*key*/) override {}
  void beginList(std::string_view /*key*/) override {}
  void listText(std::string_view /*element*/) override {}
  void endList() override {}
  // Picks are top-level fields: what is inside nested objects and arrays is not looked at.
  void beginObject(std::string_view /*key*/) override { ++depth_; }
  void endObject() override { --depth_; }
  void beginArray(std::string_view /*key*/) override { ++depth_; }
  void endArray() override { --depth_; }

  static void pickValue(FieldPick& pick, const Fields& value) {
    if (value.is_number_unsigned()) {
      pick.number = value.get<std::uint64_t>();
    } else if (value.is_boolean()) {
      pick.flag = value.get<bool>();
    }
  }

 private:
  FieldPick* find(std::string_view key) {
    if (depth_ > 0) {
      return nullptr;
    }
    for (FieldPick& pick : picks_) {
      if (pick.key == key) {
        return &pick;
      }
    }
    return nullptr;
  }

  std::span<FieldPick> picks_;
  int depth_ = 0;
};

// Catches one top-level member of a described body.
class MemberSink final : public EventBodySink {
 public:
  explicit MemberSink(std::string_view key) : key_(key) {}
  void summary(std::string_view /*part*/) override {}
  void fieldNumber(std::string_view key, std::uint64_t value) override { take(key, value); }
  void fieldFlag(std::string_view key, bool value) override { take(key, value); }
  void fieldText(std::string_view key, std::string_view value) override {
    if (wanted(key)) {
      found = Fields(std::string(value));
    }
  }
  void fieldValue(std::string_view key, const Fields& value) override { take(key, value); }
  void fieldNull(std::string_view key) override { take(key, nullptr); }
  void beginList(std::string_view key) override {
    collecting_ = wanted(key);
    if (collecting_) {
      list_ = Fields::array();
    }
  }
  void listText(std::string_view element) override {
    if (collecting_) {
      list_.push_back(std::string(element));
    }
  }
  void endList() override {
    if (collecting_) {
      found = std::move(list_);
      collecting_ = false;
    }
  }
  void beginObject(std::string_view key) override { open(key); }
  void endObject() override { --depth_; }
  void beginArray(std::string_view key) override { open(key); }
  void endArray() override { --depth_; }

  std::optional<Fields> found;
  bool nested = false;  // the member is an object or array: build the tree to read it

 private:
  bool wanted(std::string_view key) const { return depth_ == 0 && key == key_; }
  void take(std::string_view key, Fields value) {
    if (wanted(key)) {
      found = std::move(value);
    }
  }
  void open(std::string_view key) {
    nested = nested || wanted(key);
    ++depth_;
  }

  std::string_view key_;
  int depth_ = 0;
  bool collecting_ = false;
  Fields list_;
};

}  // namespace

std::optional<Fields> memberOf(const Event& event, std::string_view key) {
  if (event.isCompact()) {
    MemberSink sink(key);
    event.compact.describe(event.compact, event.dir, sink);
    if (!sink.nested) {
      return std::move(sink.found);
    }
  }
  if (const Fields* member = findMember(fieldsOf(event), key)) {
    return *member;
  }
  return std::nullopt;
}

void expandCompact(Event& event) {
  if (!event.isCompact()) {
    return;
  }
  const CompactBody body = std::move(event.compact);
  event.compact = CompactBody{};
  event.summary.clear();
  event.fields = Fields::object();
  reserveMembers(event.fields, 4);
  TreeSink sink(event);
  body.describe(body, event.dir, sink);
}

const Fields& fieldsOf(const Event& event) {
  if (!event.isCompact()) {
    return event.fields;
  }
  // Keyed by everything describe() may read; the payload is held, so its address is not
  // another's.
  struct Scratch {
    CompactBody body;
    Direction dir = Direction::ToServer;
    Event built{Event::CompactTag{}};
  };
  thread_local Scratch scratch;
  const CompactBody& body = event.compact;
  const bool same = scratch.body.describe == body.describe && scratch.body.payload != nullptr &&
                    scratch.body.payload == body.payload && scratch.dir == event.dir &&
                    scratch.body.value == body.value && scratch.body.flags == body.flags &&
                    scratch.body.text == body.text;
  if (!same) {
    scratch.body = body;
    scratch.dir = event.dir;
    scratch.built.summary.clear();
    scratch.built.fields = nullptr;
    scratch.built.compact = body;
    scratch.built.dir = event.dir;
    expandCompact(scratch.built);
  }
  return scratch.built.fields;
}

void pickFields(const Event& event, std::span<FieldPick> picks) {
  if (event.isCompact()) {
    PickSink sink(picks);
    event.compact.describe(event.compact, event.dir, sink);
    return;
  }
  for (FieldPick& pick : picks) {
    if (const Fields* value = findMember(event.fields, pick.key)) {
      PickSink::pickValue(pick, *value);
    }
  }
}

}  // namespace rdpscope::model
