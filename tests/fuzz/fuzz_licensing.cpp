// Fuzz target: RDP licensing PDUs ([MS-RDPBCGR] 2.2.1.12, [MS-RDPELE] 2.2.2) through the real
// RDP connection dissector. A fixed cleartext prefix negotiates standard RDP security without
// encryption (X.224 CR/CC selecting PROTOCOL_RDP); each fuzz input then becomes the payload after
// a SEC_LICENSE_PKT security header inside an MCS Send Data Indication on the I/O channel (1003),
// server to client; bit 0 of the first byte sends it client to server instead (Send Data Request).
#include <vector>

#include "fuzz_common.h"
#include "rdp/rdp_connection_dissector.h"

namespace {
using rdpscope::ByteView;
using rdpscope::model::Direction;

// [MS-RDPBCGR] 2.2.1.1 X.224 Connection Request with RDP_NEG_REQ requesting PROTOCOL_RDP (0).
constexpr std::uint8_t kCr[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00,
                                0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
// [MS-RDPBCGR] 2.2.1.2 X.224 Connection Confirm with RDP_NEG_RSP selecting PROTOCOL_RDP (0).
constexpr std::uint8_t kCc[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34,
                                0x00, 0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};

std::vector<std::uint8_t> wrap(bool to_server, const std::uint8_t* data, std::size_t size) {
  // [MS-RDPBCGR] 2.2.8.1.1.3.1.1 TS_SECURITY_HEADER: flags SEC_LICENSE_PKT (0x0080), flagsHi 0.
  const std::size_t user_len = 4 + size;
  std::vector<std::uint8_t> out = {0x03, 0x00, 0x00, 0x00,           // TPKT ([T.123] 8)
                                   0x02, 0xf0, 0x80,                 // X.224 DT ([X.224] 13.7)
                                   static_cast<std::uint8_t>(to_server ? 0x64 : 0x68),  // SDrq/SDin
                                   0x00, 0x06,                       // initiator 1007 (PER)
                                   0x03, 0xeb,                       // channelId 1003
                                   0x70,                             // priority + segmentation
                                   static_cast<std::uint8_t>(0x80 | ((user_len >> 8) & 0x3f)),
                                   static_cast<std::uint8_t>(user_len & 0xff),
                                   0x80, 0x00, 0x00, 0x00};
  out.insert(out.end(), data, data + size);
  out[2] = static_cast<std::uint8_t>(out.size() >> 8);
  out[3] = static_cast<std::uint8_t>(out.size() & 0xff);
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rdpscope;
  if (size == 0 || size > 16000) {
    return 0;
  }
  engine::Session s(fuzz::fuzzConnection(), rdp::makeRdpConnectionDissector(), {});
  s.setCurrent(1, Timestamp{}, Direction::ToServer);
  s.deliver(Direction::ToServer, ByteView(kCr, sizeof kCr));
  s.setCurrent(2, Timestamp{}, Direction::ToClient);
  s.deliver(Direction::ToClient, ByteView(kCc, sizeof kCc));
  const bool to_server = (data[0] & 1) != 0;
  const auto pdu = wrap(to_server, data + 1, size - 1);
  const Direction dir = to_server ? Direction::ToServer : Direction::ToClient;
  s.setCurrent(3, Timestamp{}, dir);
  s.deliver(dir, ByteView(pdu.data(), pdu.size()));
  s.end(Direction::ToServer, engine::EndReason::CaptureEnd);
  s.end(Direction::ToClient, engine::EndReason::CaptureEnd);
  model::Connection c = s.finish();
  (void)c;
  return 0;
}
