// Compact events (model::CompactBody, SessionConfig::compact_events): the streaming JSON
// path writes them straight from their describe functions, every other reader gets them built.
// Both must give the same bytes; the rules must read the same facts from either.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <algorithm>
#include <array>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "engine/analyzer.h"
#include "engine/keystore.h"
#include "engine/session.h"
#include "output/json_writer.h"
#include "rules/engine.h"
#include "rules/rule_set.h"

namespace rdpscope::engine {
namespace {

namespace fs = std::filesystem;

// The summary's last part varies with the stub's text, for the JSON writer's summary path (parts
// written straight into the line while plain, else gathered and written whole).
void describeTestBulk(const model::CompactBody& body, Direction dir, model::EventBodySink& sink) {
  sink.summary(dir == Direction::ToServer ? "up " : "down ");
  sink.summaryNumber(body.value);
  if (body.text == "split") {  // an e acute (C3 A9) split across two parts: valid as a whole
    sink.summary(" caf\xC3");
    sink.summary("\xA9");
  } else if (body.text == "bad") {  // invalid UTF-8: replaced
    sink.summary(" \xFF!");
  } else if (body.text != "plain") {
    sink.summary(" \"quoted\"");  // needs escaping in JSON
  }
  sink.fieldNumber("length", body.value);
  sink.fieldFlag("alert_sized", (body.flags & 1u) != 0);
  sink.fieldText("name", body.text);
  sink.fieldValue("names", model::Fields::array({"A", "B"}));
}

BulkStub testStub(std::uint64_t value, std::uint32_t flags, std::string text) {
  BulkStub b;
  b.kind = "test.bulk";
  b.stage = model::Stage::Active;
  b.body.describe = &describeTestBulk;
  b.body.value = value;
  b.body.flags = flags;
  b.body.text = std::move(text);
  b.dir = Direction::ToClient;
  return b;
}

// The same 100 stubs (48 kept at the start, 16 at the end) through a session, compact or not.
model::Connection sessionOf(bool compact) {
  SessionConfig config;
  config.compact_events = compact;
  Session s(model::Connection{}, nullptr, config);
  for (std::uint64_t i = 1; i <= 100; ++i) {
    s.setCurrent(i, Timestamp{static_cast<std::int64_t>(i) * 1000}, Direction::ToServer);
    const char* text = i % 3 == 0   ? "a\tb"
                       : i % 5 == 0 ? "split"
                       : i % 7 == 0 ? "bad"
                       : i % 11 == 0 ? "plain"
                                     : "rdpdr";
    s.emitBulkStub(testStub(i, i % 2 == 0 ? 1u : 0u, text));
  }
  return s.finish();
}

std::string jsonOf(const model::Connection& c, bool redact) {
  std::ostringstream out;
  output::writeJsonLine(out, c, redact);
  return out.str();
}

TEST(CompactEvents, SessionKeepsThemCompactOnlyWhenAsked) {
  const model::Connection compact = sessionOf(true);
  const model::Connection built = sessionOf(false);
  ASSERT_EQ(compact.events.size(), 48u + 16u + 1u);
  ASSERT_EQ(built.events.size(), compact.events.size());
  EXPECT_TRUE(compact.events.front().isCompact());
  EXPECT_TRUE(compact.events[60].isCompact());  // a tail one
  EXPECT_TRUE(compact.events.front().summary.empty());
  EXPECT_FALSE(built.events.front().isCompact());
  EXPECT_EQ(built.events.front().summary, "down 1 \"quoted\"");
  EXPECT_EQ(compact.events.front().kind, "test.bulk");
  EXPECT_EQ(compact.events.front().stage, model::Stage::Active);
  EXPECT_EQ(compact.events.front().dir, Direction::ToClient);
  EXPECT_EQ(compact.events[1].frame, 2u);
  // Expanded one by one, the compact events are the built ones.
  for (std::size_t i = 0; i < compact.events.size(); ++i) {
    model::Event e = compact.events[i];
    model::expandCompact(e);
    EXPECT_FALSE(e.isCompact());
    EXPECT_EQ(e.summary, built.events[i].summary) << i;
    EXPECT_EQ(e.fields, built.events[i].fields) << i;
    EXPECT_EQ(e.frame, built.events[i].frame) << i;
  }
}

TEST(CompactEvents, JsonIsTheSameAsForBuiltEventsWithAndWithoutRedaction) {
  const model::Connection compact = sessionOf(true);
  const model::Connection built = sessionOf(false);
  const std::string line = jsonOf(built, false);
  ASSERT_NE(line.find(R"("summary":"down 1 \"quoted\"","fields":{"length":1,"alert_sized":false,)"
                      R"("name":"rdpdr","names":["A","B"]})"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("\"summary\":\"down 5 caf\xC3\xA9\",\"fields\""), std::string::npos);
  EXPECT_NE(line.find("\"summary\":\"down 7 \xEF\xBF\xBD!\",\"fields\""), std::string::npos);
  EXPECT_NE(line.find("\"summary\":\"down 11\",\"fields\""), std::string::npos);
  EXPECT_EQ(jsonOf(compact, false), line);
  EXPECT_EQ(jsonOf(compact, true), jsonOf(built, true));
}

// A payload's content, and a describe function that shows it with everything else of the body.
struct TestPayload final : model::CompactPayload {
  std::string label;
};
void describeWithPayload(const model::CompactBody& body, Direction dir,
                         model::EventBodySink& sink) {
  const auto& p = static_cast<const TestPayload&>(*body.payload);
  sink.summary(p.label);
  sink.summary(dir == Direction::ToServer ? " up " : " down ");
  sink.summaryNumber(body.value);
  sink.fieldText("label", p.label);
  sink.fieldNumber("flags", body.flags);
  sink.fieldText("text", body.text);
}

// Events sharing one payload object (as the ClientHellos of one client program do) are written
// from the text the writer keeps for the last payloads it wrote: every one must still be written
// as it alone would be, whatever else of its body or direction differs, and a payload of equal
// content but another object is another payload.
TEST(CompactEvents, EventsSharingAPayloadAreEachWrittenAsThemselves) {
  auto shared = std::make_shared<TestPayload>();
  shared->label = "one";
  auto twin = std::make_shared<TestPayload>();
  twin->label = "one";
  auto other = std::make_shared<TestPayload>();
  other->label = "two";
  model::Connection compact;
  const std::shared_ptr<const model::CompactPayload> payloads[] = {shared, shared, twin, other,
                                                                   shared, shared, shared, other};
  for (std::size_t i = 0; i < std::size(payloads); ++i) {
    model::Event ev{model::Event::CompactTag{}};
    ev.frame = i + 1;
    ev.kind = "test.payload";
    ev.dir = i == 5 ? Direction::ToClient : Direction::ToServer;
    ev.compact.describe = &describeWithPayload;
    ev.compact.payload = payloads[i];
    ev.compact.value = i == 6 ? 7 : 1;
    ev.compact.flags = i == 4 ? 3 : 0;
    ev.compact.text = i == 7 ? "x" : "";
    compact.events.push_back(std::move(ev));
  }
  model::Connection built = compact;
  for (auto& ev : built.events) {
    model::expandCompact(ev);
  }
  const std::string line = jsonOf(built, false);
  EXPECT_NE(line.find(R"("summary":"one down 1","fields":{"label":"one","flags":0,"text":""})"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find(R"("summary":"one up 7")"), std::string::npos);
  EXPECT_NE(line.find(R"("flags":3)"), std::string::npos);
  EXPECT_NE(line.find(R"("label":"two","flags":0,"text":"x")"), std::string::npos);
  EXPECT_EQ(jsonOf(compact, false), line);
  EXPECT_EQ(jsonOf(compact, false), line);  // again, with the writer's memory already filled
}

// Compact events without a payload (kept bulk events) are written from the text the writer keeps
// for the last ones with the same body: each must still be written as itself when only its
// value, flags, text or direction differs from one written before.
TEST(CompactEvents, BulkEventsDifferingInOnePartAreEachWrittenAsThemselves) {
  model::Connection compact;
  auto add = [&compact](std::uint64_t value, std::uint32_t flags, const char* text, Direction dir) {
    BulkStub stub = testStub(value, flags, text);
    stub.dir = dir;
    model::Event ev = std::move(stub).compactEvent();
    ev.frame = compact.events.size() + 1;
    compact.events.push_back(std::move(ev));
  };
  for (int round = 0; round < 2; ++round) {
    add(5, 0, "plain", Direction::ToServer);
    add(5, 0, "plain", Direction::ToServer);  // the same body: its text reused
    add(6, 0, "plain", Direction::ToServer);
    add(5, 1, "plain", Direction::ToServer);
    add(5, 0, "rdpdr", Direction::ToServer);
    add(5, 0, "plain", Direction::ToClient);
  }
  model::Connection built = compact;
  for (auto& ev : built.events) {
    model::expandCompact(ev);
  }
  const std::string line = jsonOf(built, false);
  EXPECT_NE(line.find(R"("summary":"down 5","fields":{"length":5,"alert_sized":false,)"),
            std::string::npos)
      << line;
  EXPECT_EQ(jsonOf(compact, false), line);
  EXPECT_EQ(jsonOf(compact, false), line);  // again, with the writer's texts already kept
}

// length, alert_sized and an absent key, as pickFields reads them in one pass.
std::array<model::FieldPick, 3> picksOf(const model::Event& ev) {
  std::array<model::FieldPick, 3> picks = {model::FieldPick{"length", {}, {}},
                                           model::FieldPick{"alert_sized", {}, {}},
                                           model::FieldPick{"absent", {}, {}}};
  model::pickFields(ev, picks);
  return picks;
}

TEST(CompactEvents, FieldLookupReadsCompactAndBuiltAlike) {
  const model::Connection compact = sessionOf(true);
  const model::Connection built = sessionOf(false);
  for (std::size_t i = 0; i + 1 < compact.events.size(); ++i) {
    const auto c = picksOf(compact.events[i]);
    const auto b = picksOf(built.events[i]);
    EXPECT_EQ(c[0].number, b[0].number);
    EXPECT_EQ(c[1].flag, b[1].flag);
    EXPECT_EQ(c[2].number, std::nullopt);
    EXPECT_EQ(c[2].flag, std::nullopt);
    EXPECT_EQ(c[0].flag, std::nullopt);  // a number is not a flag
  }
  const auto second = picksOf(compact.events[1]);
  EXPECT_EQ(second[0].number, std::optional<std::uint64_t>(2));
  EXPECT_EQ(second[1].flag, std::optional<bool>(true));
}

// Every lab capture (captures/<scenario>/capture.pcap, with its keys.log), analysed with compact
// and with built events (the bulk kinds and the ClientHello): the same JSON line and diagnosis
// for every connection. This covers every dissector's describe function on real traffic.
std::vector<std::string> linesOf(const fs::path& dir, bool compact, const rules::RuleSet& rules,
                                 bool use_keys) {
  std::unique_ptr<KeyStore> keys;
  if (use_keys && fs::exists(dir / "keys.log")) {
    keys = std::move(KeyStore::load((dir / "keys.log").string(), "").store);
  }
  AnalyzerOptions options;
  options.keys = keys.get();
  options.compact_events = compact;
  std::vector<std::string> lines;
  Analyzer analyzer(options, [&](model::Connection&& c) {
    rules::diagnose(c, rules);
    lines.push_back(jsonOf(c, false));
  });
  auto opened = capture::openFiles({(dir / "capture.pcap").string()});
  EXPECT_TRUE(opened.source) << opened.error;
  if (!opened.source) {
    return lines;
  }
  capture::RawPacket pkt;
  while (opened.source->next(pkt)) {
    analyzer.onPacket(pkt);
  }
  analyzer.finish();
  return lines;
}

// Compact and built events come from the same describe function, so the comparison above cannot
// see a describe that writes a wrong value (the goldens can). This checks the ClientHello's own
// values against what the TLS dissector put in the connection's `tls` summary independently.
void checkClientHelloAgainstSummary(const std::string& line) {
  const auto conn = nlohmann::json::parse(line);
  for (const auto& ev : conn.at("events")) {
    if (ev.at("kind") != "tls.client_hello") {
      continue;
    }
    const auto& f = ev.at("fields");
    const auto& tls = conn.at("tls");
    EXPECT_EQ(f.at("ja3"), tls.at("ja3")) << line.substr(0, 200);
    EXPECT_EQ(f.at("ja4"), tls.at("ja4")) << line.substr(0, 200);
    EXPECT_EQ(f.at("sni"), tls.at("sni")) << line.substr(0, 200);
    const auto count = f.at("cipher_suites_count").get<std::size_t>();
    EXPECT_EQ(f.at("cipher_suites").size(), std::min<std::size_t>(count, 128));
    EXPECT_NE(ev.at("summary").get<std::string>().find(", " + std::to_string(count) +
                                                        " cipher suites"),
              std::string::npos);
    return;  // the first ClientHello is the one summarized
  }
}

TEST(CompactEvents, LabCapturesGiveTheSameJsonCompactOrBuilt) {
  const fs::path root = fs::path(RDPSCOPE_SOURCE_DIR) / "captures";
  if (!fs::exists(root)) {
    GTEST_SKIP() << "captures/ absent";
  }
  auto rules = rules::loadDefaultRules();
  ASSERT_TRUE(rules) << rules.error();
  int captures = 0;
  // Every compact kind must occur, so that each describe function is compared on real traffic.
  std::map<std::string, std::size_t> bulk_seen = {{"\"tls.application_data\"", 0},
                                                   {"\"rdp.fastpath\"", 0},
                                                   {"\"rdp.channel_data\"", 0},
                                                   {"\"rdp.encrypted\"", 0},
                                                   {"\"rdp.data_pdu\"", 0},
                                                   {"\"tls.client_hello\"", 0}};
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!fs::exists(entry.path() / "capture.pcap")) {
      continue;
    }
    // With its key log (if any) and without: a key log turns most records into the PDUs they
    // carry, so tls.application_data occurs mostly without one.
    for (const bool use_keys : {true, false}) {
      if (!use_keys && !fs::exists(entry.path() / "keys.log")) {
        continue;
      }
      const auto built = linesOf(entry.path(), false, *rules, use_keys);
      const auto compact = linesOf(entry.path(), true, *rules, use_keys);
      ASSERT_EQ(compact.size(), built.size()) << entry.path();
      for (std::size_t i = 0; i < built.size(); ++i) {
        EXPECT_EQ(compact[i], built[i])
            << entry.path() << " connection " << i << " keys " << use_keys;
      }
      for (const auto& line : built) {
        checkClientHelloAgainstSummary(line);
        for (auto& [kind, seen] : bulk_seen) {
          for (auto at = line.find(kind); at != std::string::npos; at = line.find(kind, at + 1)) {
            ++seen;
          }
        }
      }
    }
    ++captures;
  }
  EXPECT_GT(captures, 10);
  for (const auto& [kind, seen] : bulk_seen) {
    EXPECT_GT(seen, 10u) << kind;
  }
}

}  // namespace
}  // namespace rdpscope::engine
