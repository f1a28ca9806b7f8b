// Incremental attempt grouping (used while streaming JSON) must give the same ids and stories
// as the batch grouping used by the text and HTML outputs.
#include <gtest/gtest.h>

#include "output/summary.h"
#include "rules/attempts.h"

namespace rdpscope::rules {
namespace {

model::Connection conn(std::uint64_t id, const std::string& client, double start, double end,
                       const std::string& outcome) {
  model::Connection c;
  c.id = id;
  c.client = {client, static_cast<std::uint16_t>(40000 + id)};
  c.server = {"10.0.0.9", 3389};
  c.start = Timestamp{static_cast<std::int64_t>(start * 1e9)};
  c.end = Timestamp{static_cast<std::int64_t>(end * 1e9)};
  c.outcome = outcome;
  c.stage_reached = outcome == "success" ? model::Stage::Active : model::Stage::Negotiation;
  model::Diagnosis d;
  d.rule = outcome == "success" ? "active-client-closed" : "neg-ssl-not-allowed";
  c.diagnosis = d;
  return c;
}

std::vector<model::Connection> sample() {
  return {conn(1, "10.0.0.1", 0.0, 0.2, "failed"),    // failed, then a quick retry...
          conn(2, "10.0.0.1", 1.0, 9.0, "success"),   // ...that succeeds: one attempt
          conn(3, "10.0.0.2", 1.5, 1.6, "failed"),    // another client: its own attempt
          conn(4, "10.0.0.1", 60.0, 61.0, "failed")}; // much later: a new attempt
}

TEST(AttemptGrouper, IncrementalEqualsBatch) {
  auto batch = sample();
  groupAttempts(batch);
  auto streamed = sample();
  AttemptGrouper g;
  for (auto& c : streamed) {
    g.add(c);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(batch[i].attempt, streamed[i].attempt) << i;
  }
  EXPECT_EQ(batch[0].attempt, batch[1].attempt);
  EXPECT_NE(batch[0].attempt, batch[2].attempt);
  EXPECT_NE(batch[1].attempt, batch[3].attempt);
  const auto summaries = summarizeAttempts(batch);
  const auto lines = g.lines();
  ASSERT_EQ(lines.size(), 1u);  // only the multi-connection attempt
  bool found = false;
  for (const auto& s : summaries) {
    if (s.id == lines[0].id) {
      found = true;
      EXPECT_EQ(s.story, lines[0].story);
      EXPECT_EQ(s.connections.size(), lines[0].count);
    }
  }
  EXPECT_TRUE(found);
}

TEST(Summary, IncrementalAddEqualsTally) {
  auto conns = sample();
  output::Summary batch;
  batch.tally(conns);
  output::Summary streamed;
  for (const auto& c : conns) {
    streamed.add(c);
  }
  streamed.finishTally();
  EXPECT_EQ(batch.connections, streamed.connections);
  EXPECT_EQ(batch.by_outcome, streamed.by_outcome);
  EXPECT_EQ(batch.by_failure_stage, streamed.by_failure_stage);
  EXPECT_EQ(batch.by_cause, streamed.by_cause);
  EXPECT_EQ(batch.capture_start, streamed.capture_start);
  EXPECT_EQ(batch.capture_end, streamed.capture_end);
}

}  // namespace
}  // namespace rdpscope::rules
