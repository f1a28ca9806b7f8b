// MCS (T.125) and GCC (T.124) part of RdpHandler: connect PDUs with every GCC user data block,
// and the PER domain PDUs (erect domain, attach user, channel join, send data, ultimatum).
#include "core/code_names.h"
#include "gcc/gcc.h"
#include "mcs/mcs.h"
#include "mcs/mcs_names.h"
#include "model/event_builder.h"
#include "rdp/field_util.h"
#include "rdp/rdp_handler.h"
#include "rdp/rdp_names.h"
#include "rdp/rdp_names_extra.h"
#include "tpkt/parse_util.h"
#include "x224/x224_names.h"

namespace rdpscope::rdp {

namespace {

std::string identity(engine::DissectContext& ctx, const std::string& s) {
  return ctx.redactIdentities() ? std::string("<redacted>") : cleanString(s);
}

}  // namespace

bool RdpHandler::onMcs(const Pdu& pdu, ByteReader r) {
  if (mcs::isConnectPdu(r.rest())) {
    const ByteView b = r.rest();
    return b[1] == 0x65 ? onMcsConnectInitial(pdu, r) : onMcsConnectResponse(pdu, r);
  }
  return onMcsDomainPdu(pdu, r);
}

bool RdpHandler::onMcsConnectInitial(const Pdu& pdu, ByteReader r) {
  auto ci = mcs::parseConnectInitial(r);
  if (!ci) {
    return fail(pdu, insideFrame(ci.error()), "MCS Connect-Initial");
  }
  model::EventBuilder ev;
  ev.setSummary("MCS Connect-Initial (GCC Conference Create Request)");
  ev.set("max_mcs_pdu_size", ci->target.max_mcs_pdu_size);
  ev.set("max_channel_ids", ci->target.max_channel_ids);
  ev.set("protocol_version", ci->target.protocol_version);
  ev.set("user_data_length", ci->user_data.size());
  emit(pdu, std::move(ev).build("mcs.connect_initial", Stage::McsConnect));
  ByteReader ud(ci->user_data, ci->user_data_offset);
  return onClientUserData(pdu, ud);
}

bool RdpHandler::onMcsConnectResponse(const Pdu& pdu, ByteReader r) {
  auto cr = mcs::parseConnectResponse(r);
  if (!cr) {
    return fail(pdu, insideFrame(cr.error()), "MCS Connect-Response");
  }
  const std::string result = codeName(mcs::results(), cr->result);
  model::EventBuilder ev;
  ev.setSummary("MCS Connect-Response: " + result);
  ev.set("result", result);
  ev.set("result_value", cr->result);
  ev.set("called_connect_id", cr->called_connect_id);
  ev.set("max_mcs_pdu_size", cr->domain.max_mcs_pdu_size);
  emit(pdu, std::move(ev).build("mcs.connect_response", Stage::McsConnect));
  if (cr->result != 0) {
    model::setMember(pdu.ctx->connection().rdp, "result", result);
  }
  if (cr->user_data.empty()) {
    return true;  // a refused connect may carry no GCC response
  }
  ByteReader ud(cr->user_data, cr->user_data_offset);
  return onServerUserData(pdu, ud);
}

bool RdpHandler::onClientUserData(const Pdu& pdu, ByteReader r) {
  auto cc = gcc::parseConferenceCreateRequest(r);
  if (!cc) {
    return fail(pdu, insideFrame(cc.error()), "GCC Conference Create Request");
  }
  engine::DissectContext& ctx = *pdu.ctx;
  model::Fields& s = ctx.connection().rdp;
  for (const gcc::UserDataBlock& b : cc->blocks) {
    ByteReader body(b.body, b.offset + 4);
    switch (b.type) {
      case gcc::kCsCore: {
        auto c = gcc::parseClientCore(body);
        if (!c) {
          return fail(pdu, insideFrame(c.error()), "Client Core Data");
        }
        const std::string name = identity(ctx, c->client_name);
        model::EventBuilder ev;
        ev.setSummary("Client Core Data: " + clientBuildName(c->client_build) + ", " + name + ", " +
                      std::to_string(c->desktop_width) + "x" + std::to_string(c->desktop_height));
        ev.set("version", codeName(rdpVersions(), c->version));
        ev.set("version_value", c->version);
        ev.set("desktop_width", c->desktop_width);
        ev.set("desktop_height", c->desktop_height);
        ev.set("color_depth", codeName(colorDepths(), c->color_depth));
        ev.set("keyboard_layout", keyboardLayoutName(c->keyboard_layout));
        ev.set("keyboard_layout_value", c->keyboard_layout);
        ev.set("client_build", c->client_build);
        ev.set("client_name", name);
        ev.set("keyboard_type", codeName(keyboardTypes(), c->keyboard_type));
        ev.set("keyboard_type_value", c->keyboard_type);
        ev.set("keyboard_sub_type", c->keyboard_sub_type);
        ev.set("keyboard_function_keys", c->keyboard_function_keys);
        ev.set("ime_file_name", cleanString(c->ime_file_name));
        if (c->post_beta2_color_depth) {
          ev.set("post_beta2_color_depth", codeName(colorDepths(), *c->post_beta2_color_depth));
        }
        if (c->high_color_depth) {
          ev.set("high_color_depth", codeName(highColorDepths(), *c->high_color_depth));
          ev.set("high_color_depth_value", *c->high_color_depth);
        }
        if (c->supported_color_depths) {
          bitNamesList(ev, "supported_color_depths", supportedColorDepths(),
                       *c->supported_color_depths);
        }
        if (c->early_capability_flags) {
          bitNamesList(ev, "early_capability_flags", clientEarlyCapabilityFlags(),
                       *c->early_capability_flags);
          ev.set("early_capability_flags_value", *c->early_capability_flags);
        }
        if (c->client_dig_product_id) {
          ev.set("client_dig_product_id", cleanString(*c->client_dig_product_id));
        }
        if (c->connection_type) {
          ev.set("connection_type", codeName(connectionTypes(), *c->connection_type));
        }
        if (c->server_selected_protocol) {
          ev.set("server_selected_protocol",
                 codeName(x224::protocols(), *c->server_selected_protocol));
          ev.set("server_selected_protocol_value", *c->server_selected_protocol);
        }
        if (c->desktop_physical_width) {
          ev.set("desktop_physical_width", *c->desktop_physical_width);
          ev.set("desktop_physical_height", c->desktop_physical_height.value_or(0));
        }
        if (c->desktop_scale_factor) {
          ev.set("desktop_scale_factor", *c->desktop_scale_factor);
        }
        model::setMember(s, "client_build", clientBuildName(c->client_build));
        model::setMember(s, "client_build_value", c->client_build);
        model::setMember(s, "client_name", name);
        model::setMember(s, "client_dig_product_id",
                         c->client_dig_product_id
                             ? model::Fields(cleanString(*c->client_dig_product_id))
                             : model::Fields(nullptr));
        model::setMember(s, "keyboard_layout", keyboardLayoutName(c->keyboard_layout));
        model::setMember(s, "keyboard_layout_value", c->keyboard_layout);
        model::setMember(s, "desktop_width", c->desktop_width);
        model::setMember(s, "desktop_height", c->desktop_height);
        // Requested colour depth, rdp.log style: 32bpp when the client asks for a 32bpp
        // session (RNS_UD_CS_WANT_32BPP_SESSION), else highColorDepth.
        if (c->early_capability_flags &&
            (*c->early_capability_flags & gcc::kWant32BppSession) != 0) {
          model::setMember(s, "color_depth", "32bit");
        } else if (c->high_color_depth) {
          model::setMember(s, "color_depth",
                           codeName(highColorDepthLabels(), *c->high_color_depth));
        } else {
          model::setMember(s, "color_depth", codeName(colorDepths(), c->color_depth));
        }
        emit(pdu, std::move(ev).build("gcc.client_core", Stage::McsConnect));
        break;
      }
      case gcc::kCsSecurity: {
        auto c = gcc::parseClientSecurity(body);
        if (!c) {
          return fail(pdu, insideFrame(c.error()), "Client Security Data");
        }
        model::EventBuilder ev;
        ev.setSummary("Client Security Data: " +
                      bitNamesJoined(encryptionMethods(), c->encryption_methods));
        bitNamesList(ev, "encryption_methods", encryptionMethods(), c->encryption_methods);
        ev.set("encryption_methods_value", c->encryption_methods);
        ev.set("ext_encryption_methods_value", c->ext_encryption_methods);
        emit(pdu, std::move(ev).build("gcc.client_security", Stage::McsConnect));
        break;
      }
      case gcc::kCsNet: {
        auto c = gcc::parseClientNetwork(body);
        if (!c) {
          return fail(pdu, insideFrame(c.error()), "Client Network Data");
        }
        model::Fields names = model::Fields::array();
        session_.channel_names.clear();
        std::string joined;
        model::EventBuilder ev;
        ev.set("channel_count", c->size());
        ev.beginArray("channels");
        for (const gcc::ChannelDef& ch : *c) {
          const std::string n = cleanString(ch.name);
          names.push_back(n);
          session_.channel_names.push_back(n);
          ev.beginObject("");
          ev.set("name", n);
          bitNamesList(ev, "options", channelOptions(), ch.options);
          ev.set("options_value", ch.options);
          ev.endObject();
          joined += (joined.empty() ? "" : ",") + n;
        }
        ev.endArray();
        ev.setSummary("Client Network Data: " + std::to_string(c->size()) + " channels" +
                      (joined.empty() ? "" : " (" + joined + ")"));
        model::setMember(s, "channels", std::move(names));
        emit(pdu, std::move(ev).build("gcc.client_network", Stage::McsConnect));
        break;
      }
      case gcc::kCsCluster: {
        auto c = gcc::parseClientCluster(body);
        if (!c) {
          return fail(pdu, insideFrame(c.error()), "Client Cluster Data");
        }
        model::EventBuilder ev;
        ev.setSummary("Client Cluster Data, flags " + hexCode(c->flags));
        bitNamesList(ev, "flags", clusterFlags(), c->flags & ~0x3Cu);
        ev.set("flags_value", c->flags);
        ev.set("redirection_supported", (c->flags & 0x01) != 0);
        ev.set("redirection_version", ((c->flags & 0x3Cu) >> 2) + 1);
        ev.set("redirected_session_id_valid", (c->flags & 0x02) != 0);
        ev.set("redirected_smartcard", (c->flags & 0x40) != 0);
        ev.set("redirected_session_id", c->redirected_session_id);
        emit(pdu, std::move(ev).build("gcc.client_cluster", Stage::McsConnect));
        break;
      }
      case gcc::kCsMonitor: {
        auto c = gcc::parseClientMonitor(body);
        if (!c) {
          return fail(pdu, insideFrame(c.error()), "Client Monitor Data");
        }
        model::EventBuilder ev;
        ev.setSummary("Client Monitor Data: " + std::to_string(c->monitor_count) + " monitors");
        ev.set("monitor_count", c->monitor_count);
        model::Fields mons = model::Fields::array();
        for (const auto& m : c->monitors) {
          mons.push_back({{"left", m.left}, {"top", m.top}, {"right", m.right},
                          {"bottom", m.bottom}, {"primary", (m.flags & 1) != 0}});
        }
        ev.set("monitors", std::move(mons));
        emit(pdu, std::move(ev).build("gcc.client_monitor", Stage::McsConnect));
        break;
      }
      case gcc::kCsMcsMsgChannel:
      case gcc::kCsMultitransport: {
        const bool msg = b.type == gcc::kCsMcsMsgChannel;
        auto c = gcc::parseFlagsBlock(body, msg ? "gcc.client_message_channel.flags"
                                                : "gcc.client_multitransport.flags");
        if (!c) {
          return fail(pdu, insideFrame(c.error()), "Client user data block");
        }
        model::EventBuilder ev;
        ev.setSummary(
            std::string(msg ? "Client Message Channel Data" : "Client Multitransport Data") +
            ", flags " + hexCode(*c));
        ev.set("flags_value", *c);
        emit(pdu,
             std::move(ev).build(msg ? "gcc.client_message_channel" : "gcc.client_multitransport",
                                 Stage::McsConnect));
        break;
      }
      default:
        emitOtherUserDataBlock(pdu, "gcc.client_block", "Client data block ", b.type, b.length);
        break;
    }
  }
  return true;
}

// A user data block this dissector does not decode (or a type unknown to [MS-RDPBCGR] 2.2.1.3 /
// 2.2.1.4): recorded with its type and length so it never vanishes.
void RdpHandler::emitOtherUserDataBlock(const Pdu& pdu, const char* kind, const char* label,
                                        std::uint16_t type, std::size_t length) {
  model::EventBuilder ev;
  ev.setSummary(label + codeName(gccUserDataTypes(), type));
  ev.set("type", codeName(gccUserDataTypes(), type));
  ev.set("type_value", type);
  ev.set("length", length);
  emit(pdu, std::move(ev).build(kind, Stage::McsConnect));
}

bool RdpHandler::onServerUserData(const Pdu& pdu, ByteReader r) {
  auto cc = gcc::parseConferenceCreateResponse(r);
  if (!cc) {
    return fail(pdu, insideFrame(cc.error()), "GCC Conference Create Response");
  }
  engine::DissectContext& ctx = *pdu.ctx;
  model::Fields& s = ctx.connection().rdp;
  if (cc->result) {
    // rdp.log `result`: the GCC Conference Create Response result ("Success"...).
    model::setMember(s, "result", codeName(gccResults(), *cc->result));
  }
  for (const gcc::UserDataBlock& b : cc->blocks) {
    ByteReader body(b.body, b.offset + 4);
    switch (b.type) {
      case gcc::kScCore: {
        auto c = gcc::parseServerCore(body);
        if (!c) {
          return fail(pdu, insideFrame(c.error()), "Server Core Data");
        }
        model::EventBuilder ev;
        ev.setSummary("Server Core Data: " + codeName(rdpVersions(), c->version));
        ev.set("version", codeName(rdpVersions(), c->version));
        ev.set("version_value", c->version);
        if (c->client_requested_protocols) {
          ev.set("client_requested_protocols", protocolNames(*c->client_requested_protocols));
          ev.set("client_requested_protocols_value", *c->client_requested_protocols);
        }
        if (c->early_capability_flags) {
          bitNamesList(ev, "early_capability_flags", serverEarlyCapabilityFlags(),
                       *c->early_capability_flags);
          ev.set("early_capability_flags_value", *c->early_capability_flags);
        }
        emit(pdu, std::move(ev).build("gcc.server_core", Stage::McsConnect));
        break;
      }
      case gcc::kScSecurity: {
        auto c = gcc::parseServerSecurity(body);
        if (!c) {
          return fail(pdu, insideFrame(c.error()), "Server Security Data");
        }
        session_.server_security_seen = true;
        session_.encryption_method = c->encryption_method;
        session_.encryption_level = c->encryption_level;
        model::EventBuilder ev;
        ev.setSummary(
            "Server Security Data: " + codeName(encryptionMethods(), c->encryption_method) + ", " +
            codeName(encryptionLevels(), c->encryption_level));
        ev.set("encryption_method", codeName(encryptionMethods(), c->encryption_method));
        ev.set("encryption_method_value", c->encryption_method);
        ev.set("encryption_level", codeName(encryptionLevels(), c->encryption_level));
        ev.set("encryption_level_value", c->encryption_level);
        ev.set("server_random_length", c->server_random_length);
        ev.set("server_certificate_length", c->server_certificate_length);
        model::setMember(s, "encryption_method",
                         codeName(encryptionMethodLabels(), c->encryption_method));
        model::setMember(s, "encryption_level",
                         codeName(encryptionLevelLabels(), c->encryption_level));
        if (c->certificate) {
          const gcc::ServerCertificate& cert = *c->certificate;
          const bool rsa = cert.chain_version == 1;
          ev.set("cert_type", rsa ? "RSA" : "X.509");
          ev.set("cert_chain_version", codeName(certChainVersions(), cert.chain_version));
          ev.set("cert_permanent", cert.permanent);
          if (rsa) {
            ev.set("rsa_bits", cert.rsa_bit_length.value_or(0));
            ev.set("rsa_exponent", cert.rsa_public_exponent.value_or(0));
          } else {
            model::Fields sizes = model::Fields::array();
            for (const ByteView& x : cert.x509_certs) {
              sizes.push_back(x.size());
            }
            ev.set("cert_sizes", std::move(sizes));
          }
          model::setMember(s, "cert_type", rsa ? "RSA" : "X.509");
          model::setMember(s, "cert_count", rsa ? std::size_t{1} : cert.x509_certs.size());
          model::setMember(s, "cert_permanent", cert.permanent);
        }
        emit(pdu, std::move(ev).build("gcc.server_security", Stage::McsConnect));
        break;
      }
      case gcc::kScNet: {
        auto c = gcc::parseServerNetwork(body);
        if (!c) {
          return fail(pdu, insideFrame(c.error()), "Server Network Data");
        }
        session_.io_channel = c->io_channel;
        session_.channel_ids = c->channel_ids;
        model::EventBuilder ev;
        ev.setSummary("Server Network Data: I/O channel " + std::to_string(c->io_channel) + ", " +
                      std::to_string(c->channel_ids.size()) + " channel ids");
        ev.set("io_channel", c->io_channel);
        ev.beginArray("channels");
        for (std::size_t i = 0; i < c->channel_ids.size(); ++i) {
          ev.beginObject("");
          ev.set("id", c->channel_ids[i]);
          if (i < session_.channel_names.size()) {
            ev.set("name", session_.channel_names[i]);
          } else {
            ev.fieldNull("name");
          }
          ev.endObject();
        }
        ev.endArray();
        emit(pdu, std::move(ev).build("gcc.server_network", Stage::McsConnect));
        break;
      }
      case gcc::kScMcsMsgChannel: {
        auto c = gcc::parseServerMessageChannel(body);
        if (!c) {
          return fail(pdu, insideFrame(c.error()), "Server Message Channel Data");
        }
        session_.message_channel = *c;
        model::EventBuilder ev;
        ev.setSummary("Server Message Channel Data: channel " + std::to_string(*c));
        ev.set("channel_id", *c);
        emit(pdu, std::move(ev).build("gcc.server_message_channel", Stage::McsConnect));
        break;
      }
      case gcc::kScMultitransport: {
        auto c = gcc::parseFlagsBlock(body, "gcc.server_multitransport.flags");
        if (!c) {
          return fail(pdu, insideFrame(c.error()), "Server Multitransport Data");
        }
        model::EventBuilder ev;
        ev.setSummary("Server Multitransport Data, flags " + hexCode(*c));
        ev.set("flags_value", *c);
        emit(pdu, std::move(ev).build("gcc.server_multitransport", Stage::McsConnect));
        break;
      }
      default:
        emitOtherUserDataBlock(pdu, "gcc.server_block", "Server data block ", b.type, b.length);
        break;
    }
  }
  return true;
}

bool RdpHandler::onMcsDomainPdu(const Pdu& pdu, ByteReader r) {
  auto d = mcs::parseDomainPdu(r);
  if (!d) {
    return fail(pdu, insideFrame(d.error()), "MCS domain PDU");
  }
  engine::DissectContext& ctx = *pdu.ctx;
  switch (static_cast<mcs::DomainPdu>(d->choice)) {
    case mcs::DomainPdu::SendDataRequest:
    case mcs::DomainPdu::SendDataIndication: {
      ByteReader data(d->user_data, d->user_data_offset);
      return onChannelData(pdu, static_cast<std::uint16_t>(d->channel_id.value_or(0)), data);
    }
    case mcs::DomainPdu::ErectDomainRequest: {
      model::EventBuilder ev;
      ev.setSummary("MCS Erect Domain Request");
      ev.set("sub_height", d->sub_height.value_or(0));
      ev.set("sub_interval", d->sub_interval.value_or(0));
      emit(pdu, std::move(ev).build("mcs.erect_domain_request", Stage::ChannelSetup));
      return true;
    }
    case mcs::DomainPdu::AttachUserRequest: {
      model::EventBuilder ev;
      ev.setSummary("MCS Attach User Request");
      emit(pdu, std::move(ev).build("mcs.attach_user_request", Stage::ChannelSetup));
    }
      return true;
    case mcs::DomainPdu::AttachUserConfirm: {
      const std::string result = codeName(mcs::results(), d->result.value_or(0));
      model::EventBuilder ev;
      ev.setSummary("MCS Attach User Confirm: " + result +
                    (d->initiator ? ", user id " + std::to_string(*d->initiator) : ""));
      ev.set("result", result);
      ev.set("result_value", d->result.value_or(0));
      ev.set("user_id", d->initiator);
      if (d->initiator) {
        session_.user_id = static_cast<std::uint16_t>(*d->initiator);
      }
      emit(pdu, std::move(ev).build("mcs.attach_user_confirm", Stage::ChannelSetup));
      return true;
    }
    case mcs::DomainPdu::ChannelJoinRequest: {
      model::EventBuilder ev;
      ev.setSummary("MCS Channel Join Request " + std::to_string(d->channel_id.value_or(0)));
      ev.set("channel_id", d->channel_id.value_or(0));
      ev.set("user_id", d->initiator.value_or(0));
      emit(pdu, std::move(ev).build("mcs.channel_join_request", Stage::ChannelSetup));
      return true;
    }
    case mcs::DomainPdu::ChannelJoinConfirm: {
      const std::string result = codeName(mcs::results(), d->result.value_or(0));
      const std::uint32_t id = d->channel_id.value_or(d->requested_channel_id.value_or(0));
      model::EventBuilder ev;
      ev.setSummary("MCS Channel Join Confirm " + std::to_string(id) + ": " + result);
      ev.set("result", result);
      ev.set("result_value", d->result.value_or(0));
      ev.set("channel_id", id);
      ev.set("requested_channel_id", d->requested_channel_id.value_or(0));
      emit(pdu, std::move(ev).build("mcs.channel_join_confirm", Stage::ChannelSetup));
      return true;
    }
    case mcs::DomainPdu::DisconnectProviderUltimatum: {
      const std::uint32_t reason = d->reason.value_or(0);
      const std::string name = codeName(mcs::disconnectReasons(), reason);
      model::EventBuilder ev;
      ev.setSummary("MCS Disconnect Provider Ultimatum: " + name + " (" +
                    codeMeaning(mcs::disconnectReasons(), reason) + ")");
      ev.set("reason", name);
      ev.set("reason_value", reason);
      model::setMember(ctx.connection().rdp, "disconnect_reason", name);
      emit(pdu, std::move(ev).build("mcs.disconnect_provider_ultimatum", std::nullopt));
      return true;
    }
    default: {
      // Named here only: send data (nearly every domain PDU) never needs the name.
      const std::string type = codeName(mcs::domainPduTypes(), d->choice);
      model::EventBuilder ev;
      ev.setSummary("MCS " + type);
      ev.set("type", type);
      ev.set("type_value", d->choice);
      emit(pdu, std::move(ev).build("mcs.domain_pdu", std::nullopt));
      return true;
    }
  }
}

}  // namespace rdpscope::rdp
