#include "output/summary.h"

namespace rdpscope::output {

void Summary::tally(const std::vector<model::Connection>& conns) {
  connections = conns.size();
  by_outcome.clear();
  by_failure_stage.clear();
  by_cause.clear();
  anomalies = 0;
  std::optional<Timestamp> first, last;
  for (const auto& c : conns) {
    const std::string outcome = c.outcome.empty() ? "unknown" : c.outcome;
    ++by_outcome[outcome];
    if (outcome == "failed") {
      const model::Stage stage =
          c.diagnosis ? c.diagnosis->stage : c.stage_reached.value_or(model::Stage::Tcp);
      ++by_failure_stage[std::string(model::stageName(stage))];
      ++by_cause[c.diagnosis ? c.diagnosis->rule : std::string("(no diagnosis)")];
    }
    for (const auto& ev : c.events) {
      if (ev.kind == "anomaly") {
        ++anomalies;
      }
    }
    if (!first || c.start < *first) {
      first = c.start;
    }
    if (!last || c.end > *last) {
      last = c.end;
    }
  }
  if (!capture_start) {
    capture_start = first;
  }
  if (!capture_end) {
    capture_end = last;
  }
}

}  // namespace rdpscope::output
