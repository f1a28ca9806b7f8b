// Value tables for the RDP core protocol (MS-RDPBCGR): error info, licensing, share headers,
// capability sets, GCC user data, security settings and client info flags.
#pragma once

#include "core/code_names.h"

namespace rdpscope::rdp {

// Set Error Info PDU errorInfo (MS-RDPBCGR 2.2.5.1.1), the complete documented list.
CodeTable errorInfoCodes();

// Licensing preamble bMsgType (MS-RDPBCGR 2.2.1.12.1.1).
CodeTable licenseMsgTypes();

// LICENSE_ERROR_MESSAGE dwErrorCode (MS-RDPBCGR 2.2.1.12.1.3).
CodeTable licenseErrorCodes();

// LICENSE_ERROR_MESSAGE dwStateTransition (MS-RDPBCGR 2.2.1.12.1.3).
CodeTable licenseStateTransitions();

// Share Control Header pduType, low 4 bits (MS-RDPBCGR 2.2.8.1.1.1.1).
CodeTable shareControlPduTypes();

// Share Data Header pduType2 (MS-RDPBCGR 2.2.8.1.1.1.2).
CodeTable shareDataPduTypes();

// Control PDU action (MS-RDPBCGR 2.2.1.15.1).
CodeTable controlActions();

// Save Session Info PDU infoType (MS-RDPBCGR 2.2.10.1.1).
CodeTable saveSessionInfoTypes();

// Logon Errors Info errorNotificationType (MS-RDPBCGR 2.2.10.1.1.4.1.1).
CodeTable logonErrorTypes();

// Logon Errors Info errorNotificationData (MS-RDPBCGR 2.2.10.1.1.4.1.1).
CodeTable logonErrorData();

// Capability set type (MS-RDPBCGR 2.2.1.13.1.1.1).
CodeTable capabilitySetTypes();

// GCC user data block header type (MS-RDPBCGR 2.2.1.3.1).
CodeTable gccUserDataTypes();

// Core data version field (MS-RDPBCGR 2.2.1.3.2, 2.2.1.4.2).
CodeTable rdpVersions();

// encryptionMethods bits (MS-RDPBCGR 2.2.1.3.3, 2.2.1.4.3).
CodeTable encryptionMethods();

// encryptionLevel (MS-RDPBCGR 2.2.1.4.3).
CodeTable encryptionLevels();

// Client Core Data colorDepth / postBeta2ColorDepth (MS-RDPBCGR 2.2.1.3.2).
CodeTable colorDepths();

// Client Core Data highColorDepth (MS-RDPBCGR 2.2.1.3.2).
CodeTable highColorDepths();

// Client Core Data supportedColorDepths bits (MS-RDPBCGR 2.2.1.3.2).
CodeTable supportedColorDepths();

// Client Core Data keyboardType (MS-RDPBCGR 2.2.1.3.2).
CodeTable keyboardTypes();

// Client Core Data connectionType (MS-RDPBCGR 2.2.1.3.2).
CodeTable connectionTypes();

// Client Core Data earlyCapabilityFlags bits (MS-RDPBCGR 2.2.1.3.2).
CodeTable clientEarlyCapabilityFlags();

// Server Core Data earlyCapabilityFlags bits (MS-RDPBCGR 2.2.1.4.2).
CodeTable serverEarlyCapabilityFlags();

// Basic Security Header flags (MS-RDPBCGR 2.2.8.1.1.2.1).
CodeTable securityHeaderFlags();

// Info Packet flags (MS-RDPBCGR 2.2.1.11.1.1).
CodeTable clientInfoFlags();

// Server Certificate dwVersion, low 31 bits (MS-RDPBCGR 2.2.1.4.3.1).
CodeTable certChainVersions();

}  // namespace rdpscope::rdp
