#include "udp/rdpeudp_names.h"

namespace rdpscope::rdpeudp {
namespace {

// MS-RDPEUDP 2.2.2.1 RDPUDP_FEC_HEADER Structure, uFlags.
constexpr CodeName kHeaderFlags[] = {
    {0x0001, "RDPUDP_FLAG_SYN", "SYN: connection setup datagram"},
    {0x0002, "RDPUDP_FLAG_FIN", "FIN: sender ends the connection"},
    {0x0004, "RDPUDP_FLAG_ACK", "ACK: an RDPUDP_ACK_VECTOR_HEADER is present"},
    {0x0008, "RDPUDP_FLAG_DATA", "DATA: datagram carries a data payload"},
    {0x0010, "RDPUDP_FLAG_FEC", "FEC: datagram carries an FEC payload"},
    {0x0020, "RDPUDP_FLAG_CN", "CN: congestion notification (receiver saw loss)"},
    {0x0040, "RDPUDP_FLAG_CWR", "CWR: sender reduced its congestion window"},
    {0x0080, "RDPUDP_FLAG_SACK_OPTION", "SACK option (not used)"},
    {0x0100, "RDPUDP_FLAG_ACK_OF_ACKS", "ACK of ACKs: RDPUDP_ACK_OF_ACKVECTOR_HEADER is present"},
    {0x0200, "RDPUDP_FLAG_SYNLOSSY", "SYN for lossy (unreliable) transport mode"},
    {0x0400, "RDPUDP_FLAG_ACKDELAYED", "Acknowledgement was delayed"},
    {0x0800, "RDPUDP_FLAG_CORRELATION_ID", "RDPUDP_CORRELATION_ID_PAYLOAD is present"},
    {0x1000, "RDPUDP_FLAG_SYNEX", "RDPUDP_SYNDATAEX_PAYLOAD (version negotiation) is present"},
};

// MS-RDPEUDP 2.2.2.9 RDPUDP_SYNDATAEX_PAYLOAD, uUdpVer.
constexpr CodeName kProtocolVersions[] = {
    {0x0001, "RDPUDP_PROTOCOL_VERSION_1", "RDP-UDP version 1 (MS-RDPEUDP)"},
    {0x0002, "RDPUDP_PROTOCOL_VERSION_2", "RDP-UDP version 2 (MS-RDPEUDP)"},
    {0x0101, "RDPUDP_PROTOCOL_VERSION_3",
     "RDP-UDP version 3: data transfer uses MS-RDPEUDP2 (reliable only)"},
};

// MS-RDPEUDP 2.2.2.9 RDPUDP_SYNDATAEX_PAYLOAD, uSynExFlags.
constexpr CodeName kSynExFlags[] = {
    {0x0001, "RDPUDP_VERSION_INFO_VALID", "uUdpVer field is valid"},
};

// MS-RDPEUDP 2.2.1.1 ACK Vector Element, state (two high-order bits).
constexpr CodeName kAckVectorStates[] = {
    {0, "DATAGRAM_RECEIVED", "Datagrams in the run were received"},
    {1, "DATAGRAM_RESERVED_1", "Reserved"},
    {2, "DATAGRAM_RESERVED_2", "Reserved"},
    {3, "DATAGRAM_NOT_YET_RECEIVED", "Datagrams in the run have not been received yet"},
};

}  // namespace

CodeTable headerFlags() { return kHeaderFlags; }
CodeTable protocolVersions() { return kProtocolVersions; }
CodeTable synExFlags() { return kSynExFlags; }
CodeTable ackVectorStates() { return kAckVectorStates; }

}  // namespace rdpscope::rdpeudp
