// Text writer: golden snippets over hand-built connections, escaping of hostile wire strings,
// colour on/off, --brief, redaction and determinism.
#include "output/text_writer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/text.h"
#include "output_fixtures.h"

namespace rdpscope::output {
namespace {

using testing::failedNegotiation;
using testing::hostileStrings;
using testing::successfulTls;
using testing::summaryFor;

std::string render(const std::vector<model::Connection>& conns, TextOptions o = {}) {
  std::ostringstream out;
  writeText(out, conns, summaryFor(conns), o);
  return out.str();
}

// Compares with tests/unit/output/golden/NAME; RDPSCOPE_UPDATE_GOLDENS=1 rewrites the file.
void expectGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(RDPSCOPE_SOURCE_DIR) + "/tests/unit/output/golden/" + name;
  if (const char* u = std::getenv("RDPSCOPE_UPDATE_GOLDENS"); u != nullptr && *u == '1') {
    std::ofstream(path, std::ios::binary) << actual;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden " << path << " (run with RDPSCOPE_UPDATE_GOLDENS=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(expected.str(), actual) << "golden " << name << " differs";
}

TEST(TextWriter, SingleConnectionGolden) {
  expectGolden("failed_negotiation.txt", render({failedNegotiation()}));
}

TEST(TextWriter, SeveralConnectionsGolden) {
  expectGolden("three_connections.txt",
               render({failedNegotiation(), successfulTls(), hostileStrings()}));
}

TEST(TextWriter, BriefGolden) {
  TextOptions o;
  o.brief = true;
  expectGolden("brief.txt", render({failedNegotiation(), successfulTls(), hostileStrings()}, o));
}

TEST(TextWriter, SummaryOnlyWithSeveralConnections) {
  EXPECT_EQ(render({failedNegotiation()}).find("rdpscope summary"), std::string::npos);
  EXPECT_NE(render({failedNegotiation(), successfulTls()}).find("== rdpscope summary =="),
            std::string::npos);
}

TEST(TextWriter, TimelineLineShape) {
  const std::string out = render({failedNegotiation()});
  EXPECT_NE(out.find("      6  +0.001200s   <-  negotiation       x224.neg_failure  "
                     "RDP_NEG_FAILURE SSL_REQUIRED_BY_SERVER  <<< fatal\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  client      0x904 / extended 0x7: example message\n"), std::string::npos);
  EXPECT_NE(out.find("    - x224.neg_failure = SSL_REQUIRED_BY_SERVER (frame 6)\n"),
            std::string::npos);
  EXPECT_NE(out.find("    1. Enable TLS on the client.\n"), std::string::npos);
}

TEST(TextWriter, DecryptedMarkedAndBulkCollapsed) {
  const std::string out = render({successfulTls()});
  EXPECT_NE(out.find("mcs.connect_initial [dec]  Connect-Initial"), std::string::npos);
  EXPECT_NE(out.find("11 more bulk records (4 ->, 7 <-, 1221 bytes), frames 23..33"), std::string::npos)
      << out;
}

TEST(TextWriter, PlainModeHasNoEscapesAndValidUtf8) {
  const std::string out = render({failedNegotiation(), successfulTls(), hostileStrings()});
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_EQ(sanitizeUtf8(out), out);
  // The hostile cookie's ANSI sequence is shown, not executed.
  EXPECT_NE(out.find("\\x1b[31mRED"), std::string::npos);
  // Every control character other than newline is gone.
  for (char ch : out) {
    const auto c = static_cast<unsigned char>(ch);
    EXPECT_TRUE(c >= 0x20 || c == '\n') << "control byte " << static_cast<int>(c);
  }
  // Decoration is ASCII: the arrows are "->" and "<-".
  EXPECT_NE(out.find(" -> "), std::string::npos);
  EXPECT_EQ(out.find("\xe2\x86\x92"), std::string::npos);  // no U+2192
}

TEST(TextWriter, ColourOnlyWhenAsked) {
  TextOptions o;
  o.color = true;
  const std::string out = render({failedNegotiation(), hostileStrings()}, o);
  EXPECT_NE(out.find("\x1b[31m"), std::string::npos);
  EXPECT_NE(out.find("\x1b[0m"), std::string::npos);
  // The wire's own escape sequence is still neutralised.
  EXPECT_NE(out.find("\\x1b[31mRED"), std::string::npos);
  o.brief = true;
  EXPECT_NE(render({failedNegotiation()}, o).find("\x1b[31m"), std::string::npos);
}

TEST(TextWriter, RedactIdentities) {
  TextOptions o;
  o.redact_identities = true;
  const std::string out = render({failedNegotiation()}, o);
  EXPECT_EQ(out.find("alice"), std::string::npos) << out;
  EXPECT_NE(out.find("[redacted]"), std::string::npos);
  EXPECT_NE(render({failedNegotiation()}).find("mstshash=alice"), std::string::npos);
}

TEST(TextWriter, Deterministic) {
  const std::vector<model::Connection> conns{failedNegotiation(), successfulTls(), hostileStrings()};
  EXPECT_EQ(render(conns), render(conns));
}

TEST(TextWriter, NoConnections) {
  const std::string out = render({});
  EXPECT_NE(out.find("connections  0"), std::string::npos);
}

TEST(TextWriter, EmptyAndOddConnectionsDoNotCrash) {
  model::Connection c;  // nothing filled in
  c.outcome = "failed";
  std::ostringstream out;
  writeText(out, {c}, Summary{}, TextOptions{});
  EXPECT_NE(out.str().find("(no events)"), std::string::npos);
  // An event with structured and odd fields.
  model::Connection d = failedNegotiation();
  d.events[2].summary.clear();
  d.events[2].fields = {{"nested", {{"a", 1}, {"b", {1, 2, 3}}}}, {"n", nullptr}, {"f", 1.5}};
  d.diagnosis->evidence = {model::Evidence{}};  // all empty
  d.diagnosis->client_error.reset();
  std::ostringstream out2;
  writeText(out2, {d}, Summary{}, TextOptions{});
  EXPECT_NE(out2.str().find("nested={a=1 b=1,2,3} f=1.5"), std::string::npos) << out2.str();
  EXPECT_NE(out2.str().find(" = ?"), std::string::npos) << out2.str();
}

}  // namespace
}  // namespace rdpscope::output
