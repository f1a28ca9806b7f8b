// One entry of a connection's annotated timeline. Dissectors create events; the engine stamps
// frame, time and direction; rules and outputs read them. `kind` is a stable dotted name
// (protocol first: "x224.neg_failure", "tls.alert") and is part of the JSON contract.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
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

struct Event {
  std::uint64_t frame = 0;   // 1-based frame number in the input (engine fills)
  Timestamp ts{};            // capture time of that frame (engine fills)
  Direction dir = Direction::ToServer;
  std::string kind;          // dotted, e.g. "x224.connection_request"
  std::string summary;       // one line for humans
  std::optional<Stage> stage;  // handshake stage this PDU belongs to; none for tcp noise
  bool decrypted = false;    // seen only thanks to TLS decryption
  Fields fields = Fields::object();

  // Convenience for dissectors: Event::make("x224.connection_request", Stage::Negotiation, "...")
  static Event make(std::string kind, std::optional<Stage> stage, std::string summary) {
    Event ev;
    ev.kind = std::move(kind);
    ev.stage = stage;
    ev.summary = std::move(summary);
    return ev;
  }
};

}  // namespace rdpscope::model
