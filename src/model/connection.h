// Everything rdpscope knows about one connection: addresses and counters from the stream engine,
// the timeline from the dissectors, per-protocol summaries (rdp, tls, credssp objects of the JSON
// contract) and, after diagnosis, the verdict. Outputs render this; rules read it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "model/event.h"

namespace rdpscope::model {

struct Endpoint {
  std::string ip;  // textual IPv4 / IPv6
  std::uint16_t port = 0;
};

struct DirectionCounters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;            // TCP/UDP payload bytes as captured, retransmissions included
  std::uint64_t frame_bytes = 0;      // whole frames on the wire (what tshark's conv,tcp counts)
  std::uint64_t retransmissions = 0;  // segments whose bytes were all seen before
  std::uint64_t overlaps = 0;         // segments partly overlapping seen bytes
  std::uint64_t gap_bytes = 0;        // bytes never seen (lost or cut by snaplen)
  std::uint64_t out_of_order = 0;     // segments that arrived ahead of a hole
  std::uint64_t zero_windows = 0;
};

// What the Windows client shows for a diagnosis: "Error code 0x904, Extended error code 0x7".
struct ClientError {
  std::optional<std::string> code;      // e.g. "0x904"; none when the rule cannot tell
  std::optional<std::string> extended;  // e.g. "0x7"
  std::string message;
};

// One fact a diagnosis rests on, as the rules rendered it.
struct Evidence {
  std::string fact;                   // catalogue name, e.g. "tcp.end"
  std::optional<std::string> value;   // rendered value; none when the fact is absent
  std::vector<std::uint64_t> frames;  // frames of the events that established it
  std::string text;                   // "tcp.end = fin_client (frame 12)", "x absent"
};

// Plain members rather than JSON trees: a connection carries a diagnosis and a few observations,
// each with several evidence entries, and building, writing and freeing them as trees was ~4 %
// of a run (issue 8).
struct Diagnosis {
  std::string rule;
  Stage stage = Stage::Tcp;
  std::string cause;
  std::string confidence;  // high | medium | low
  std::optional<ClientError> client_error;
  std::vector<Evidence> evidence;
  std::vector<std::string> remediation;
  std::string reference;
};

struct Connection {
  std::uint64_t id = 0;                // 1-based, in output order
  std::string transport = "tcp";       // tcp | udp
  Endpoint client;
  Endpoint server;
  std::string client_decided_by;       // syn | syn_ack | rdp_port | heuristic | first_packet
  Timestamp start{};
  Timestamp end{};
  std::uint64_t first_frame = 0;
  std::array<DirectionCounters, 2> counters{};  // indexed by Direction
  std::string tcp_end = "capture_end";
  std::string detected_by;             // port_3389 | extra_port | heuristic_x224 | heuristic_tls
  std::uint32_t syn_retries = 0;
  // Packets one side kept sending after the other side's last packet (keep-alives,
  // retransmissions into silence): the signature of a path that died. Zero when both spoke last.
  std::optional<Direction> unanswered_tail_from;
  std::uint32_t unanswered_tail_packets = 0;
  double unanswered_tail_seconds = 0;

  std::vector<Event> events;
  std::uint64_t events_suppressed = 0; // events beyond the per-connection cap (counted, not kept)

  // Per-protocol summaries, filled by dissectors (keys documented in docs/json-schema.md).
  Fields rdp = Fields::object();
  Fields tls = Fields::object();
  Fields credssp = Fields::object();
  Fields udp = Fields::object();
  std::vector<std::string> notes;      // human notes: "no key for this session", caps hit...

  // Filled by diagnosis.
  std::optional<Stage> stage_reached;
  std::string outcome;                 // success | failed | incomplete
  std::optional<Diagnosis> diagnosis;
  std::vector<Diagnosis> observations;
  std::string attempt;                 // attempt id shared by connections of one user attempt

  DirectionCounters& dir(Direction d) { return counters[static_cast<std::size_t>(d)]; }
  const DirectionCounters& dir(Direction d) const { return counters[static_cast<std::size_t>(d)]; }
};

// Empties the field trees of a connection about to be destroyed (see releaseTree): the cheaper
// way to free a finished connection's events.
inline void releaseTrees(Connection& c) {
  for (Event& ev : c.events) {
    releaseTree(ev.fields);
  }
  for (Fields* summary : {&c.rdp, &c.tls, &c.credssp, &c.udp}) {
    releaseTree(*summary);
  }
}

}  // namespace rdpscope::model
