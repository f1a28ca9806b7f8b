// The fact catalogue and the reducer that turns one connection (timeline + summary objects +
// counters) into a flat set of named facts. Rules (rules/rdp.rules) may only use facts listed in
// the catalogue; the rule loader checks names, types and value domains against it. Facts carry
// the frame numbers of the events that produced them, so a diagnosis can cite its evidence.
// Depends on src/model only: tests build Connections by hand, no pcap needed.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/connection.h"

namespace rdpscope::rules {

enum class FactType : std::uint8_t { Bool, Int, String, Duration, Set };

std::string_view factTypeName(FactType type) noexcept;

struct FactDef {
  std::string_view name;     // dotted, e.g. "tcp.end"
  FactType type;
  std::string_view meaning;  // one line for docs/rules.md and `rdpscope rules --facts`
  // Closed value domain for String/Set facts (empty = open: any spec name token is accepted).
  std::vector<std::string_view> domain;
};

// The whole catalogue, in documentation order.
std::span<const FactDef> factCatalogue();
const FactDef* findFact(std::string_view name) noexcept;

// A fact's position in the catalogue. Rules resolve their fact names to ids once, at load time,
// so evaluating a condition is an array access instead of a name lookup.
using FactId = std::uint16_t;
inline constexpr FactId kNoFact = 0xFFFF;
FactId factId(std::string_view name) noexcept;  // kNoFact when not in the catalogue

// Duration facts are stored as seconds.
using FactValue = std::variant<bool, std::int64_t, std::string, double, std::vector<std::string>>;

// The frames of the events that established a fact: none, one, or two (an event and the one it
// is measured against, e.g. a PDU and the close). Inline: a connection sets ~50 facts, and a
// std::vector for each frame list was ~40 heap blocks per connection. Frame 0 ("no frame") is
// not kept; frames beyond two are dropped.
class FactFrames {
 public:
  FactFrames() = default;
  FactFrames(std::initializer_list<std::uint64_t> frames) {
    for (const std::uint64_t f : frames) {
      if (f != 0 && size_ < kMax) {
        frames_[size_++] = f;
      }
    }
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::uint64_t operator[](std::size_t i) const { return frames_[i]; }
  const std::uint64_t* begin() const { return frames_.data(); }
  const std::uint64_t* end() const { return frames_.data() + size_; }

 private:
  static constexpr std::size_t kMax = 2;
  std::array<std::uint64_t, kMax> frames_{};
  std::size_t size_ = 0;
};

struct Fact {
  FactValue value;
  FactFrames frames;  // may be empty
};

// The facts of one connection: catalogue facts in an array indexed by FactId (no allocation per
// fact name, O(1) lookups); any other name (explain fills template names) in a map.
class Facts {
 public:
  Facts();
  void set(std::string_view name, FactValue value, FactFrames frames = {});
  void setBool(std::string_view name, bool v, std::uint64_t frame = 0);
  void setInt(std::string_view name, std::int64_t v, std::uint64_t frame = 0);
  void setString(std::string_view name, std::string v, std::uint64_t frame = 0);
  void setDuration(std::string_view name, double seconds, std::uint64_t frame = 0);
  void setSet(std::string_view name, std::vector<std::string> v, std::uint64_t frame = 0);
  void erase(std::string_view name);

  const Fact* get(std::string_view name) const;
  const Fact* get(FactId id) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }
  std::optional<std::string> str(std::string_view name) const;
  std::optional<std::int64_t> integer(std::string_view name) const;
  bool flag(std::string_view name) const;  // false when absent

 private:
  std::vector<std::optional<Fact>> known_;          // indexed by FactId
  std::map<std::string, Fact, std::less<>> other_;  // names outside the catalogue
};

// "true", "42", "0x7" (for *_value facts), "1.250s", "PROTOCOL_SSL,PROTOCOL_HYBRID".
std::string renderValue(std::string_view fact_name, const FactValue& value);

// Reduces a connection to facts. Pure: reads only the connection.
Facts reduceFacts(const model::Connection& conn);

}  // namespace rdpscope::rules
