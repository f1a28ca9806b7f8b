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
  void fieldNumber(std::string_view key, std::uint64_t value) override {
    setMember(event_.fields, key, value);
  }
  void fieldFlag(std::string_view key, bool value) override {
    setMember(event_.fields, key, value);
  }
  void fieldText(std::string_view key, std::string_view value) override {
    setMember(event_.fields, key, std::string(value));
  }
  void fieldValue(std::string_view key, const Fields& value) override {
    setMember(event_.fields, key, value);
  }
  void fieldNull(std::string_view key) override { setMember(event_.fields, key, nullptr); }
  void beginList(std::string_view key) override {
    list_key_ = key;
    list_ = Fields::array();
  }
  void listText(std::string_view element) override { list_.push_back(std::string(element)); }
  void endList() override { setMember(event_.fields, list_key_, std::move(list_)); }

 private:
  Event& event_;
  std::string_view list_key_;
  Fields list_;
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

  static void pickValue(FieldPick& pick, const Fields& value) {
    if (value.is_number_unsigned()) {
      pick.number = value.get<std::uint64_t>();
    } else if (value.is_boolean()) {
      pick.flag = value.get<bool>();
    }
  }

 private:
  FieldPick* find(std::string_view key) {
    for (FieldPick& pick : picks_) {
      if (pick.key == key) {
        return &pick;
      }
    }
    return nullptr;
  }

  std::span<FieldPick> picks_;
};

}  // namespace

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
