#include "rdp/rdp_names_extra.h"

#include <cstdio>

namespace rdpscope::rdp {
namespace {

// Microsoft LCIDs / KLIDs (learn.microsoft.com "Keyboard identifiers and input method editors
// for Windows", "Windows language pack default values"); the most common layouts. Unknown
// full KLIDs fall back to their low 16 bits (the language) in keyboardLayoutName().
constexpr CodeName kKeyboardLayouts[] = {
    {0x0401, "Arabic - Saudi Arabia", ""},       {0x0402, "Bulgarian", ""},
    {0x0403, "Catalan", ""},                      {0x0404, "Chinese - Taiwan", ""},
    {0x0405, "Czech", ""},                        {0x0406, "Danish", ""},
    {0x0407, "German - Germany", ""},             {0x0408, "Greek", ""},
    {0x0409, "English - United States", ""},      {0x040A, "Spanish - Spain (Traditional Sort)", ""},
    {0x040B, "Finnish", ""},                      {0x040C, "French - France", ""},
    {0x040D, "Hebrew", ""},                       {0x040E, "Hungarian", ""},
    {0x040F, "Icelandic", ""},                    {0x0410, "Italian - Italy", ""},
    {0x0411, "Japanese", ""},                     {0x0412, "Korean", ""},
    {0x0413, "Dutch - Netherlands", ""},          {0x0414, "Norwegian (Bokmal)", ""},
    {0x0415, "Polish", ""},                       {0x0416, "Portuguese - Brazil", ""},
    {0x0418, "Romanian", ""},                     {0x0419, "Russian", ""},
    {0x041A, "Croatian", ""},                     {0x041B, "Slovak", ""},
    {0x041C, "Albanian - Albania", ""},           {0x041D, "Swedish", ""},
    {0x041E, "Thai", ""},                         {0x041F, "Turkish", ""},
    {0x0420, "Urdu", ""},                         {0x0421, "Indonesian", ""},
    {0x0422, "Ukrainian", ""},                    {0x0423, "Belarusian", ""},
    {0x0424, "Slovenian", ""},                    {0x0425, "Estonian", ""},
    {0x0426, "Latvian", ""},                      {0x0427, "Lithuanian", ""},
    {0x0429, "Farsi", ""},                        {0x042A, "Vietnamese", ""},
    {0x042B, "Armenian - Armenia", ""},           {0x042F, "FYRO Macedonian", ""},
    {0x0437, "Georgian", ""},                     {0x0439, "Hindi", ""},
    {0x043F, "Kazakh", ""},                       {0x0804, "Chinese - People's Republic of China", ""},
    {0x0807, "German - Switzerland", ""},         {0x0809, "English - United Kingdom", ""},
    {0x080A, "Spanish - Mexico", ""},             {0x080C, "French - Belgium", ""},
    {0x0813, "Dutch - Belgium", ""},              {0x0816, "Portuguese - Portugal", ""},
    {0x081A, "Serbian (Latin)", ""},              {0x0C07, "German - Austria", ""},
    {0x0C09, "English - Australia", ""},          {0x0C0A, "Spanish - Spain (Modern Sort)", ""},
    {0x0C0C, "French - Canada", ""},              {0x0C1A, "Serbian (Cyrillic)", ""},
    {0x1009, "English - Canada", ""},             {0x100C, "French - Switzerland", ""},
    {0x1409, "English - New Zealand", ""},        {0x1809, "English - Ireland", ""},
    {0x10409, "English - United States (Dvorak)", ""},
    {0x20409, "English - United States (International)", ""},
    {0x1041E, "Thai Pattachote", ""},             {0x2041E, "Thai Kedmanee (non-ShiftLock)", ""},
    {0x3041E, "Thai Pattachote (non-ShiftLock)", ""},
};

// Remote Desktop client (mstsc) build numbers = Windows build of the release.
constexpr CodeName kClientBuilds[] = {
    {419, "RDP 4.0", ""},   {2195, "RDP 5.0", ""},  {2221, "RDP 5.0", ""},
    {2600, "RDP 5.1", ""},  {3790, "RDP 5.2", ""},  {6000, "RDP 6.0", ""},
    {6001, "RDP 6.1", ""},  {6002, "RDP 6.2", ""},  {7600, "RDP 7.0", ""},
    {7601, "RDP 7.1", ""},  {9200, "RDP 8.0", ""},  {9600, "RDP 8.1", ""},
    {10240, "RDP 10.0", ""}, {14393, "RDP 10.0", ""}, {17763, "RDP 10.0", ""},
    {19041, "RDP 10.0", ""}, {22000, "RDP 10.0", ""}, {22621, "RDP 10.0", ""},
};

// [MS-RDPBCGR] 2.2.1.4.3 encryptionMethod, short labels.
constexpr CodeName kEncryptionMethodLabels[] = {
    {0x00, "None", ""}, {0x01, "40bit", ""}, {0x02, "128bit", ""},
    {0x08, "56bit", ""}, {0x10, "FIPS", ""},
};

// [MS-RDPBCGR] 2.2.1.4.3 encryptionLevel, short labels.
constexpr CodeName kEncryptionLevelLabels[] = {
    {0, "None", ""}, {1, "Low", ""}, {2, "Client compatible", ""}, {3, "High", ""}, {4, "FIPS", ""},
};

// [MS-RDPBCGR] 2.2.1.3.2 highColorDepth, short labels.
constexpr CodeName kHighColorDepthLabels[] = {
    {0x04, "4bit", ""}, {0x08, "8bit", ""}, {0x0F, "15bit", ""}, {0x10, "16bit", ""},
    {0x18, "24bit", ""},
};

// T.124 section 8.7 ConferenceCreateResponse result ENUMERATED.
constexpr CodeName kGccResults[] = {
    {0, "Success", "Conference created"},
    {1, "User rejected", "The server's user rejected the conference"},
    {2, "Resources not available", "Server lacks resources"},
    {3, "Rejected for symmetry breaking", "Rejected for symmetry breaking"},
    {4, "Locked conference not supported", "Locked conference not supported"},
};

// [MS-RDPBCGR] 2.2.1.3.5 TS_UD_CS_CLUSTER Flags (bits 2-5 are the redirection version).
constexpr CodeName kClusterFlags[] = {
    {0x01, "REDIRECTION_SUPPORTED", "Client supports server session redirection"},
    {0x02, "REDIRECTED_SESSIONID_FIELD_VALID", "RedirectedSessionID is valid"},
    {0x04, "SERVER_SESSION_REDIRECTION_VERSION_BIT0", "redirection version bits"},
    {0x08, "SERVER_SESSION_REDIRECTION_VERSION_BIT1", "redirection version bits"},
    {0x10, "SERVER_SESSION_REDIRECTION_VERSION_BIT2", "redirection version bits"},
    {0x20, "SERVER_SESSION_REDIRECTION_VERSION_BIT3", "redirection version bits"},
    {0x40, "REDIRECTED_SMARTCARD", "Client logged on with a smart card"},
};

// [MS-RDPBCGR] 2.2.1.3.4.1 CHANNEL_DEF options.
constexpr CodeName kChannelOptions[] = {
    {0x80000000, "CHANNEL_OPTION_INITIALIZED", ""},
    {0x40000000, "CHANNEL_OPTION_ENCRYPT_RDP", ""},
    {0x20000000, "CHANNEL_OPTION_ENCRYPT_SC", ""},
    {0x10000000, "CHANNEL_OPTION_ENCRYPT_CS", ""},
    {0x08000000, "CHANNEL_OPTION_PRI_HIGH", ""},
    {0x04000000, "CHANNEL_OPTION_PRI_MED", ""},
    {0x02000000, "CHANNEL_OPTION_PRI_LOW", ""},
    {0x00800000, "CHANNEL_OPTION_COMPRESS_RDP", ""},
    {0x00400000, "CHANNEL_OPTION_COMPRESS", ""},
    {0x00200000, "CHANNEL_OPTION_SHOW_PROTOCOL", ""},
    {0x00100000, "REMOTE_CONTROL_PERSISTENT", ""},
};

}  // namespace

CodeTable keyboardLayouts() { return kKeyboardLayouts; }
CodeTable clientBuilds() { return kClientBuilds; }
CodeTable encryptionMethodLabels() { return kEncryptionMethodLabels; }
CodeTable encryptionLevelLabels() { return kEncryptionLevelLabels; }
CodeTable highColorDepthLabels() { return kHighColorDepthLabels; }
CodeTable gccResults() { return kGccResults; }
CodeTable clusterFlags() { return kClusterFlags; }
CodeTable channelOptions() { return kChannelOptions; }

std::string keyboardLayoutName(std::uint32_t klid) {
  if (const CodeName* c = findCode(kKeyboardLayouts, klid)) {
    return std::string(c->name);
  }
  if (const CodeName* c = findCode(kKeyboardLayouts, klid & 0xFFFFu)) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", klid);
    return std::string(c->name) + " (layout " + buf + ")";
  }
  return "UNKNOWN(" + hexCode(klid) + ")";
}

std::string clientBuildName(std::uint32_t build) {
  if (const CodeName* c = findCode(kClientBuilds, build)) {
    return std::string(c->name);
  }
  return "build " + std::to_string(build);
}

}  // namespace rdpscope::rdp
