#include "udp/rdpeudp_dissector.h"

#include "core/code_names.h"
#include "rdp/field_util.h"
#include "udp/rdpeudp_names.h"

namespace rdpscope::udp {
namespace {

// [MS-RDPEUDP] 2.2.2.1 uFlags.
constexpr std::uint16_t kFlagSyn = 0x0001;
constexpr std::uint16_t kFlagAck = 0x0004;
constexpr std::uint16_t kFlagCorrelationId = 0x0800;
constexpr std::uint16_t kFlagSynEx = 0x1000;
// [MS-RDPEUDP] 2.2.2.9 uUdpVer RDPUDP_PROTOCOL_VERSION_3 carries a 32-byte cookie hash.
constexpr std::uint16_t kVersion3 = 0x0101;

struct Syn {
  std::uint32_t source_ack = 0;
  std::uint16_t receive_window = 0;
  std::uint16_t flags = 0;
  std::uint32_t initial_sequence_number = 0;
  std::uint16_t up_mtu = 0;
  std::uint16_t down_mtu = 0;
  std::optional<ByteView> correlation_id;
  std::optional<std::uint16_t> synex_flags;
  std::optional<std::uint16_t> version;
};

// All RDPEUDP fields are in network byte order ([MS-RDPEUDP] 2.2).
Result<Syn> parseSyn(ByteReader& r) {
  Syn s;
  RDPSCOPE_TRY(s.source_ack, r.u32be("rdpeudp.fec.sn_source_ack"));
  RDPSCOPE_TRY(s.receive_window, r.u16be("rdpeudp.fec.receive_window"));
  RDPSCOPE_TRY(s.flags, r.u16be("rdpeudp.fec.flags"));
  if ((s.flags & kFlagSyn) == 0) {
    return s;
  }
  RDPSCOPE_TRY(s.initial_sequence_number, r.u32be("rdpeudp.syn.initial_sequence_number"));
  RDPSCOPE_TRY(s.up_mtu, r.u16be("rdpeudp.syn.up_stream_mtu"));
  RDPSCOPE_TRY(s.down_mtu, r.u16be("rdpeudp.syn.down_stream_mtu"));
  if ((s.flags & kFlagCorrelationId) != 0) {
    RDPSCOPE_TRY(s.correlation_id, r.bytes(16, "rdpeudp.syn.correlation_id"));
    RDPSCOPE_TRY(const ByteView reserved, r.bytes(16, "rdpeudp.syn.correlation_reserved"));
    (void)reserved;
  }
  if ((s.flags & kFlagSynEx) != 0) {
    RDPSCOPE_TRY(s.synex_flags, r.u16be("rdpeudp.synex.flags"));
    RDPSCOPE_TRY(s.version, r.u16be("rdpeudp.synex.udp_version"));
    if (*s.version == kVersion3) {
      RDPSCOPE_TRY(const ByteView hash, r.bytes(32, "rdpeudp.synex.cookie_hash"));
      (void)hash;  // SHA-256 of the security cookie: not output
    }
  }
  return s;  // SYN datagrams are zero-padded to the MTU ([MS-RDPEUDP] 3.1.5.1.1)
}

}  // namespace

void dissectRdpeudpDatagram(rdpscope::ByteView payload, model::Direction dir,
                            engine::DissectContext& ctx) {
  ByteReader r(payload, 0);
  auto syn = parseSyn(r);
  const bool is_syn = syn && (syn->flags & kFlagSyn) != 0;
  if (!syn && payload.size() >= 8) {
    // A datagram that announces SYN but is cut short is malformed; others (RDPEUDP2 data,
    // which has another header) are just counted.
    ByteReader h(payload, 0);
    (void)h.skip(6, "hdr");
    auto flags = h.u16be("rdpeudp.fec.flags");
    if (flags && (*flags & kFlagSyn) != 0 && syn.error().kind == ErrorKind::Truncated) {
      ctx.anomaly("rdpeudp.syn.truncated", dir, 0,
                  "RDPEUDP SYN datagram shorter than its SYNDATA payload");
      return;
    }
  }
  if (!is_syn) {
    model::Event ev = model::Event::make(
        "rdpeudp.datagram", std::nullopt,
        "RDPEUDP datagram, " + std::to_string(payload.size()) + " bytes");
    ev.dir = dir;
    model::setMember(ev.fields, "length", payload.size());
    ctx.emitBulk(std::move(ev));
    return;
  }
  const bool ack = (syn->flags & kFlagAck) != 0;
  model::Event ev = model::Event::make(ack ? "rdpeudp.syn_ack" : "rdpeudp.syn", std::nullopt, "");
  ev.dir = dir;
  auto& f = ev.fields;
  model::setMember(f, "flags", rdp::bitNames(rdpeudp::headerFlags(), syn->flags));
  model::setMember(f, "flags_value", syn->flags);
  model::setMember(f, "receive_window", syn->receive_window);
  model::setMember(f, "initial_sequence_number", syn->initial_sequence_number);
  model::setMember(f, "mtu", syn->up_mtu);
  model::setMember(f, "up_stream_mtu", syn->up_mtu);
  model::setMember(f, "down_stream_mtu", syn->down_mtu);
  model::setMember(f, "version",
                   syn->version
                       ? model::Fields(codeName(rdpeudp::protocolVersions(), *syn->version))
                       : model::Fields(nullptr));
  model::setMember(f, "version_value",
                   syn->version ? model::Fields(*syn->version) : model::Fields(nullptr));
  if (syn->correlation_id) {
    model::setMember(f, "correlation_id", toHex(*syn->correlation_id, 16));
  }
  ev.summary = std::string(ack ? "RDPEUDP SYN-ACK" : "RDPEUDP SYN") + ", MTU " +
               std::to_string(syn->up_mtu) +
               (syn->version ? ", " + f["version"].get<std::string>() : std::string());
  model::Fields& u = ctx.connection().udp;
  model::setMember(u, ack ? "syn_ack" : "syn", true);
  if (syn->version) {
    model::setMember(u, ack ? "server_version" : "client_version", f["version"]);
  }
  model::setMember(u, "mtu", syn->up_mtu);
  ctx.emit(std::move(ev));
}

}  // namespace rdpscope::udp
