#include "mcs/mcs_names.h"

namespace rdpscope::mcs {
namespace {

// ITU-T T.125 section 7 part 1, Result ::= ENUMERATED (used by Connect-Response and the
// confirms; MS-RDPBCGR 2.2.1.4, 2.2.1.7, 2.2.1.9 require rt-successful on success).
constexpr CodeName kResults[] = {
    {0, "rt-successful", "Request succeeded"},
    {1, "rt-domain-merging", "Domain is being merged"},
    {2, "rt-domain-not-hierarchical", "Domain is not hierarchical"},
    {3, "rt-no-such-channel", "Channel does not exist"},
    {4, "rt-no-such-domain", "Domain does not exist"},
    {5, "rt-no-such-user", "User ID does not exist"},
    {6, "rt-not-admitted", "User not admitted to the channel"},
    {7, "rt-other-user-id", "Another user ID is involved"},
    {8, "rt-parameters-unacceptable", "Domain parameters unacceptable"},
    {9, "rt-token-not-available", "Token not available"},
    {10, "rt-token-not-possessed", "Token not possessed"},
    {11, "rt-too-many-channels", "Too many channels"},
    {12, "rt-too-many-tokens", "Too many tokens"},
    {13, "rt-too-many-users", "Too many users"},
    {14, "rt-unspecified-failure", "Unspecified failure"},
    {15, "rt-user-rejected", "User rejected"},
};

// ITU-T T.125 section 7 part 1, Reason ::= ENUMERATED (DisconnectProviderUltimatum).
// MS-RDPBCGR 2.2.2.3 / 3.x.5.x: RDP uses only rn-provider-initiated and rn-user-requested.
constexpr CodeName kDisconnectReasons[] = {
    {0, "rn-domain-disconnected", "Domain disconnected (not used by RDP)"},
    {1, "rn-provider-initiated", "Provider-initiated: administrator-initiated server disconnect"},
    {2, "rn-token-purged", "Token purged (not used by RDP)"},
    {3, "rn-user-requested", "User-requested disconnect (either side)"},
    {4, "rn-channel-purged", "Channel purged (not used by RDP)"},
};

// ITU-T T.125 section 7 part 10, DomainMCSPDU ::= CHOICE, alternatives in order (PER index).
constexpr CodeName kDomainPduTypes[] = {
    {0, "plumbDomainIndication", "PDin: plumb domain indication"},
    {1, "erectDomainRequest", "EDrq: erect domain request (client, channel connection)"},
    {2, "mergeChannelsRequest", "MCrq: merge channels request"},
    {3, "mergeChannelsConfirm", "MCcf: merge channels confirm"},
    {4, "purgeChannelsIndication", "PCin: purge channels indication"},
    {5, "mergeTokensRequest", "MTrq: merge tokens request"},
    {6, "mergeTokensConfirm", "MTcf: merge tokens confirm"},
    {7, "purgeTokensIndication", "PTin: purge tokens indication"},
    {8, "disconnectProviderUltimatum", "DPum: disconnect provider ultimatum (connection ends)"},
    {9, "rejectMCSPDUUltimatum", "RJum: reject MCS PDU ultimatum (peer sent an invalid PDU)"},
    {10, "attachUserRequest", "AUrq: attach user request (client)"},
    {11, "attachUserConfirm", "AUcf: attach user confirm (server assigns the user channel)"},
    {12, "detachUserRequest", "DUrq: detach user request"},
    {13, "detachUserIndication", "DUin: detach user indication"},
    {14, "channelJoinRequest", "CJrq: channel join request (client)"},
    {15, "channelJoinConfirm", "CJcf: channel join confirm (server)"},
    {16, "channelLeaveRequest", "CLrq: channel leave request"},
    {17, "channelConveneRequest", "CCrq: channel convene request"},
    {18, "channelConveneConfirm", "CCcf: channel convene confirm"},
    {19, "channelDisbandRequest", "CDrq: channel disband request"},
    {20, "channelDisbandIndication", "CDin: channel disband indication"},
    {21, "channelAdmitRequest", "CArq: channel admit request"},
    {22, "channelAdmitIndication", "CAin: channel admit indication"},
    {23, "channelExpelRequest", "CErq: channel expel request"},
    {24, "channelExpelIndication", "CEin: channel expel indication"},
    {25, "sendDataRequest", "SDrq: send data request (client to server data)"},
    {26, "sendDataIndication", "SDin: send data indication (server to client data)"},
    {27, "uniformSendDataRequest", "USrq: uniform send data request"},
    {28, "uniformSendDataIndication", "USin: uniform send data indication"},
    {29, "tokenGrabRequest", "TGrq: token grab request"},
    {30, "tokenGrabConfirm", "TGcf: token grab confirm"},
    {31, "tokenInhibitRequest", "TIrq: token inhibit request"},
    {32, "tokenInhibitConfirm", "TIcf: token inhibit confirm"},
    {33, "tokenGiveRequest", "TVrq: token give request"},
    {34, "tokenGiveIndication", "TVin: token give indication"},
    {35, "tokenGiveResponse", "TVrs: token give response"},
    {36, "tokenGiveConfirm", "TVcf: token give confirm"},
    {37, "tokenPleaseRequest", "TPrq: token please request"},
    {38, "tokenPleaseIndication", "TPin: token please indication"},
    {39, "tokenReleaseRequest", "TRrq: token release request"},
    {40, "tokenReleaseConfirm", "TRcf: token release confirm"},
    {41, "tokenTestRequest", "TTrq: token test request"},
    {42, "tokenTestConfirm", "TTcf: token test confirm"},
};

// ITU-T T.125 section 7 part 2, connect PDUs: BER [APPLICATION n] tags (0x7F 0x65 = 101 ...);
// MS-RDPBCGR 2.2.1.3 (Connect-Initial) and 2.2.1.4 (Connect-Response).
constexpr CodeName kConnectPduTags[] = {
    {101, "Connect-Initial", "MCS Connect Initial (client; carries GCC Conference Create Request)"},
    {102, "Connect-Response",
     "MCS Connect Response (server; carries GCC Conference Create Response)"},
    {103, "Connect-Additional", "MCS Connect Additional (not used by RDP)"},
    {104, "Connect-Result", "MCS Connect Result (not used by RDP)"},
};

}  // namespace

CodeTable results() { return kResults; }
CodeTable disconnectReasons() { return kDisconnectReasons; }
CodeTable domainPduTypes() { return kDomainPduTypes; }
CodeTable connectPduTags() { return kConnectPduTags; }

}  // namespace rdpscope::mcs
