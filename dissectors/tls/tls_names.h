// Value tables for TLS (RFC 5246, RFC 8446 and the IANA TLS parameter registries).
#pragma once

#include <cstdint>

#include "core/code_names.h"

namespace rdpscope::tls {

// Alert description (RFC 8446 section 6, RFC 5246 section 7.2, IANA TLS Alerts registry).
CodeTable alertDescriptions();

// Alert level (RFC 5246 section 7.2).
CodeTable alertLevels();

// Record layer ContentType (RFC 8446 section 5.1, IANA TLS ContentType registry).
CodeTable contentTypes();

// HandshakeType (RFC 8446 section 4, RFC 5246 section 7.4, IANA registry).
CodeTable handshakeTypes();

// ProtocolVersion (record / legacy_version / supported_versions values).
CodeTable protocolVersions();

// CipherSuite (IANA TLS Cipher Suites registry, plus historical non-IANA code points and the
// RFC 8701 GREASE values, which are named "GREASE").
CodeTable cipherSuites();

// ExtensionType (IANA TLS ExtensionType Values registry).
CodeTable extensionTypes();

// NamedGroup (IANA TLS Supported Groups registry).
CodeTable namedGroups();

// SignatureScheme (IANA TLS SignatureScheme registry; RFC 5246 hash/signature pairs too).
CodeTable signatureSchemes();

// True for the RFC 8701 GREASE values 0x0A0A, 0x1A1A, ... 0xFAFA (cipher suites, extensions,
// named groups, signature algorithms and versions all share this pattern).
bool isGrease(std::uint16_t value);

}  // namespace rdpscope::tls
