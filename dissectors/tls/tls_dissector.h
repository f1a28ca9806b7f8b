// TLS dissector for the security upgrade of RDP (SSL, HYBRID, HYBRID_EX, RDSTLS): record layer,
// handshake messages, certificates, alerts, JA3/JA4 fingerprints and, when keys are given
// (engine::KeyStore), record decryption whose plaintext is fed to the next dissector.
// RFC 5246 (TLS 1.2), RFC 8446 (TLS 1.3), [MS-RDPBCGR] 5.4.5.1 (TLS in RDP).
#pragma once

#include "engine/dissector.h"

namespace rdpscope::tls {

// One instance per connection, handling both directions (StreamData::dir tells which).
// Decrypted application data of each direction is delivered, as one contiguous byte stream per
// direction, to `plaintext_consumer` (e.g. the CredSSP/RDP dissector); events emitted by it are
// marked `decrypted`. `plaintext_consumer` must outlive the returned dissector.
engine::DissectorPtr makeTlsDissector(engine::Dissector& plaintext_consumer);

// True when `data` starts like a TLS record header (content type 20..24, version 3.0..3.4):
// used to recognise a capture that starts mid-connection.
bool looksLikeTlsRecord(ByteView data) noexcept;

}  // namespace rdpscope::tls
