#include "mcs/mcs.h"

#include "asn1/ber.h"
#include "per/per.h"
#include "tpkt/parse_util.h"

namespace rdpscope::mcs {
namespace {

using asn1::TagClass;

// An INTEGER read as unsigned big-endian: Windows encodes e.g. 65535 as 02 02 FF FF (no 0x00
// sign octet), which strict BER decodes as -1. T.125 DomainParameters are all non-negative.
Result<std::uint64_t> readLenientUnsigned(ByteReader& r, int depth, const char* field) {
  RDPSCOPE_TRY(asn1::Tlv t, asn1::expectTag(r, TagClass::Universal, asn1::tag::kInteger, depth,
                                            field));
  const ByteView c = t.content.rest();
  if (c.empty() || c.size() > 8) {
    return parseError(ErrorKind::Malformed, t.offset, field);
  }
  std::uint64_t v = 0;
  for (const std::uint8_t b : c) {
    v = (v << 8) | b;
  }
  return v;
}

// T.125 7 part 2: DomainParameters ::= SEQUENCE of eight INTEGERs.
Result<DomainParameters> readDomainParameters(ByteReader& r, int depth, const char* field) {
  RDPSCOPE_TRY(asn1::Tlv seq, asn1::expectTag(r, TagClass::Universal, asn1::tag::kSequence,
                                              depth, field));
  DomainParameters p;
  std::uint64_t* slots[] = {&p.max_channel_ids, &p.max_user_ids,   &p.max_token_ids,
                            &p.num_priorities,  &p.min_throughput, &p.max_height,
                            &p.max_mcs_pdu_size, &p.protocol_version};
  for (std::uint64_t* slot : slots) {
    RDPSCOPE_TRY(*slot, readLenientUnsigned(seq.content, depth + 1, field));
  }
  return p;
}

}  // namespace

bool isConnectPdu(ByteView data) noexcept {
  return data.size() >= 2 && data[0] == 0x7F && (data[1] == 0x65 || data[1] == 0x66);
}

Result<ConnectInitial> parseConnectInitial(ByteReader& r) {
  RDPSCOPE_TRY(asn1::Tlv app, asn1::expectTag(r, TagClass::Application, kConnectInitialTag, 0,
                                              "mcs.connect_initial.bad_tag"));
  ByteReader& c = app.content;
  ConnectInitial ci;
  RDPSCOPE_TRY(const ByteView calling, asn1::readOctetString(c, 1, "mcs.connect_initial.calling"));
  RDPSCOPE_TRY(const ByteView called, asn1::readOctetString(c, 1, "mcs.connect_initial.called"));
  (void)calling;
  (void)called;
  RDPSCOPE_TRY(ci.upward_flag, asn1::readBoolean(c, 1, "mcs.connect_initial.upward_flag"));
  RDPSCOPE_TRY(ci.target, readDomainParameters(c, 1, "mcs.connect_initial.target_parameters"));
  RDPSCOPE_TRY(const DomainParameters min,
               readDomainParameters(c, 1, "mcs.connect_initial.minimum_parameters"));
  RDPSCOPE_TRY(const DomainParameters max,
               readDomainParameters(c, 1, "mcs.connect_initial.maximum_parameters"));
  (void)min;
  (void)max;
  const std::uint32_t ud_offset = c.offset();
  RDPSCOPE_TRY(ci.user_data, asn1::readOctetString(c, 1, "mcs.connect_initial.user_data"));
  // Identifier + length octets precede the content; find where the content starts.
  ci.user_data_offset = ud_offset + static_cast<std::uint32_t>(
                                        (c.offset() - ud_offset) - ci.user_data.size());
  return ci;
}

Result<ConnectResponse> parseConnectResponse(ByteReader& r) {
  RDPSCOPE_TRY(asn1::Tlv app, asn1::expectTag(r, TagClass::Application, kConnectResponseTag, 0,
                                              "mcs.connect_response.bad_tag"));
  ByteReader& c = app.content;
  ConnectResponse cr;
  RDPSCOPE_TRY(const std::int64_t result,
               asn1::readEnumerated(c, 1, "mcs.connect_response.result"));
  if (result < 0 || result > 0xFFFF) {
    return parseError(ErrorKind::Malformed, c.offset(), "mcs.connect_response.bad_result");
  }
  cr.result = static_cast<std::uint32_t>(result);
  RDPSCOPE_TRY(cr.called_connect_id,
               readLenientUnsigned(c, 1, "mcs.connect_response.called_connect_id"));
  RDPSCOPE_TRY(cr.domain, readDomainParameters(c, 1, "mcs.connect_response.domain_parameters"));
  const std::uint32_t ud_offset = c.offset();
  RDPSCOPE_TRY(cr.user_data, asn1::readOctetString(c, 1, "mcs.connect_response.user_data"));
  cr.user_data_offset = ud_offset + static_cast<std::uint32_t>(
                                        (c.offset() - ud_offset) - cr.user_data.size());
  return cr;
}

namespace {

// SDrq / SDin after the choice octet ([MS-RDPBCGR] 2.2.8.1.1.1.x / T.125): initiator, channelId,
// dataPriority + segmentation (one octet), the PER length of userData.
Result<SendDataHeader> readSendDataFields(ByteReader& r, std::uint8_t choice) {
  SendDataHeader h;
  h.choice = choice;
  RDPSCOPE_TRY(h.initiator, per::readInteger16(r, 1001, "mcs.send_data.initiator"));
  RDPSCOPE_TRY(h.channel_id, per::readInteger16(r, 0, "mcs.send_data.channel_id"));
  RDPSCOPE_TRY(const std::uint8_t ps, r.u8("mcs.send_data.priority"));
  h.data_priority = static_cast<std::uint8_t>(ps >> 6);
  h.segmentation = static_cast<std::uint8_t>((ps >> 4) & 0x03);
  RDPSCOPE_TRY(h.user_data_length, per::readLength(r, "mcs.send_data.length"));
  h.user_data_offset = r.offset();
  return h;
}

}  // namespace

Result<SendDataHeader> parseSendDataHeader(ByteReader& r) {
  RDPSCOPE_TRY(const std::uint8_t b0, r.u8("mcs.domain.choice"));
  const auto choice = static_cast<std::uint8_t>(b0 >> 2);
  if (choice != static_cast<std::uint8_t>(DomainPdu::SendDataRequest) &&
      choice != static_cast<std::uint8_t>(DomainPdu::SendDataIndication)) {
    return parseError(ErrorKind::Unsupported, r.offset() - 1, "mcs.domain.choice");
  }
  return readSendDataFields(r, choice);
}

Result<DomainPduInfo> parseDomainPdu(ByteReader& r) {
  DomainPduInfo d;
  RDPSCOPE_TRY(const std::uint8_t b0, r.u8("mcs.domain.choice"));
  d.choice = static_cast<std::uint8_t>(b0 >> 2);
  const std::uint8_t low = static_cast<std::uint8_t>(b0 & 0x03);
  switch (static_cast<DomainPdu>(d.choice)) {
    case DomainPdu::ErectDomainRequest: {
      // [MS-RDPBCGR] 2.2.1.5: subHeight and subInterval, PER INTEGERs.
      RDPSCOPE_TRY(d.sub_height, per::readInteger(r, "mcs.erect_domain.sub_height"));
      RDPSCOPE_TRY(d.sub_interval, per::readInteger(r, "mcs.erect_domain.sub_interval"));
      break;
    }
    case DomainPdu::DisconnectProviderUltimatum: {
      // [MS-RDPBCGR] 2.2.2.3: the 3-bit Reason straddles the choice octet (2 low bits) and the
      // top bit of the next octet.
      RDPSCOPE_TRY(const std::uint8_t b1, r.u8("mcs.dpum.reason"));
      d.reason = (std::uint32_t{low} << 1) | (std::uint32_t{b1} >> 7);
      break;
    }
    case DomainPdu::AttachUserRequest:
      break;  // [MS-RDPBCGR] 2.2.1.6: no fields
    case DomainPdu::AttachUserConfirm: {
      // [MS-RDPBCGR] 2.2.1.7: result (ENUMERATED, 4 bits in one octet), optional initiator.
      RDPSCOPE_TRY(const std::uint8_t res, r.u8("mcs.attach_user_confirm.result"));
      d.result = std::uint32_t{res} >> 4;
      if ((low & 0x02) != 0) {
        RDPSCOPE_TRY(d.initiator, per::readInteger16(r, 1001, "mcs.attach_user_confirm.initiator"));
      }
      break;
    }
    case DomainPdu::DetachUserRequest:
    case DomainPdu::DetachUserIndication:
    case DomainPdu::RejectMcsPduUltimatum:
      break;  // reported by type only
    case DomainPdu::ChannelJoinRequest: {
      // [MS-RDPBCGR] 2.2.1.8: initiator (UserId) and channelId.
      RDPSCOPE_TRY(d.initiator, per::readInteger16(r, 1001, "mcs.channel_join_request.initiator"));
      RDPSCOPE_TRY(d.channel_id, per::readInteger16(r, 0, "mcs.channel_join_request.channel_id"));
      break;
    }
    case DomainPdu::ChannelJoinConfirm: {
      // [MS-RDPBCGR] 2.2.1.9: result, initiator, requested, optional channelId.
      RDPSCOPE_TRY(const std::uint8_t res, r.u8("mcs.channel_join_confirm.result"));
      d.result = std::uint32_t{res} >> 4;
      RDPSCOPE_TRY(d.initiator, per::readInteger16(r, 1001, "mcs.channel_join_confirm.initiator"));
      RDPSCOPE_TRY(d.requested_channel_id,
                   per::readInteger16(r, 0, "mcs.channel_join_confirm.requested"));
      if ((low & 0x02) != 0) {
        RDPSCOPE_TRY(d.channel_id, per::readInteger16(r, 0, "mcs.channel_join_confirm.channel_id"));
      }
      break;
    }
    case DomainPdu::SendDataRequest:
    case DomainPdu::SendDataIndication: {
      // The header (readSendDataFields), then userData as a PER length-prefixed octet string.
      RDPSCOPE_TRY(const SendDataHeader h, readSendDataFields(r, d.choice));
      d.initiator = h.initiator;
      d.channel_id = h.channel_id;
      d.data_priority = h.data_priority;
      d.segmentation = h.segmentation;
      d.user_data_offset = h.user_data_offset;
      RDPSCOPE_TRY(d.user_data, r.bytes(h.user_data_length, "mcs.send_data.user_data"));
      break;
    }
    default:
      return parseError(ErrorKind::Unsupported, r.offset() - 1, "mcs.domain.choice");
  }
  return d;
}

}  // namespace rdpscope::mcs
