#include "output/summary.h"

namespace rdpscope::output {

void Summary::add(const model::Connection& c) {
  ++connections;
  ++by_outcome[c.outcome.empty() ? std::string("unknown") : c.outcome];
  if (c.outcome == "failed") {
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
  if (!first_conn_start_ || c.start < *first_conn_start_) {
    first_conn_start_ = c.start;
  }
  if (!last_conn_end_ || c.end > *last_conn_end_) {
    last_conn_end_ = c.end;
  }
}

void Summary::finishTally() {
  if (!capture_start) {
    capture_start = first_conn_start_;
  }
  if (!capture_end) {
    capture_end = last_conn_end_;
  }
}

void Summary::tally(const std::vector<model::Connection>& conns) {
  connections = 0;
  by_outcome.clear();
  by_failure_stage.clear();
  by_cause.clear();
  anomalies = 0;
  first_conn_start_.reset();
  last_conn_end_.reset();
  for (const auto& c : conns) {
    add(c);
  }
  finishTally();
}

}  // namespace rdpscope::output
