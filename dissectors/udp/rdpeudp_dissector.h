// RDP UDP transport ([MS-RDPEUDP]) datagrams on UDP 3389: recognises the SYN and SYN-ACK of the
// connection handshake (RDPUDP_FEC_HEADER 2.2.2.1, RDPUDP_SYNDATA_PAYLOAD 2.2.2.5,
// RDPUDP_CORRELATION_ID_PAYLOAD 2.2.2.8, RDPUDP_SYNDATAEX_PAYLOAD 2.2.2.9) and counts every
// other datagram as bulk. Stateless: one call per datagram.
#pragma once

#include "core/byte_reader.h"
#include "engine/dissector.h"

namespace rdpscope::udp {

/// Dissects one UDP payload of an RDPEUDP flow; `dir` is ToServer for the client's datagrams.
void dissectRdpeudpDatagram(rdpscope::ByteView payload, model::Direction dir,
                            engine::DissectContext& ctx);

}  // namespace rdpscope::udp
