#include "core/limits.h"
#include "engine/dissector.h"

namespace rdpscope::engine {

void StreamPipeline::deliver(Direction dir, ByteView data, DissectContext& ctx) {
  DirState& st = state(dir);
  if (st.stopped || data.empty()) {
    return;
  }
  if (st.pending.empty()) {
    run(dir, data, ctx);
    return;
  }
  if (st.pending.size() + data.size() > limits::kMaxDissectorBuffer) {
    ctx.anomaly("engine.buffer_limit", dir, st.offset,
                "a PDU larger than " + std::to_string(limits::kMaxDissectorBuffer) +
                    " bytes was announced; dissection of this direction stops");
    st.stopped = true;
    st.pending.clear();
    st.pending.shrink_to_fit();
    return;
  }
  st.pending.insert(st.pending.end(), data.begin(), data.end());
  if (st.pending.size() < st.needed) {
    return;
  }
  // run() may replace pending; work on a moved-out copy.
  std::vector<std::uint8_t> buffered = std::move(st.pending);
  st.pending.clear();
  run(dir, ByteView(buffered), ctx);
}

void StreamPipeline::run(Direction dir, ByteView data, DissectContext& ctx) {
  DirState& st = state(dir);
  ByteView view = data;
  st.needed = 0;
  while (!view.empty() && !st.stopped) {
    const Progress p = dissector_.onData(StreamData{dir, st.offset, view}, ctx);
    const std::size_t used = p.consumedBytes();
    if (used > view.size() ||
        (p.neededBytes() > 0 && p.neededBytes() <= view.size() - used) ||
        (used == 0 && p.neededBytes() == 0 && !p.stopped())) {
      // A dissector bug must not loop forever or read past the data: stop this direction.
      ctx.anomaly("engine.contract_violation", dir, st.offset,
                  std::string(dissector_.name()) + " returned inconsistent progress");
      st.stopped = true;
      break;
    }
    view = view.subspan(used);
    st.offset += used;
    if (p.stopped()) {
      st.stopped = true;
      break;
    }
    if (p.neededBytes() > 0) {
      if (p.neededBytes() > limits::kMaxDissectorBuffer) {
        ctx.anomaly("engine.buffer_limit", dir, st.offset,
                    std::string(dissector_.name()) + " asked to buffer " +
                        std::to_string(p.neededBytes()) + " bytes; dissection stops");
        st.stopped = true;
        break;
      }
      st.needed = p.neededBytes();
      break;
    }
  }
  if (st.stopped) {
    st.pending.clear();
    return;
  }
  st.pending.assign(view.begin(), view.end());
}

void StreamPipeline::gap(Direction dir, std::uint64_t missing, DissectContext& ctx) {
  DirState& st = state(dir);
  if (st.stopped) {
    return;
  }
  dissector_.onGap(dir, missing, ctx);
  if (!dissector_.acceptsGaps()) {
    st.stopped = true;
    st.pending.clear();
    return;
  }
  st.pending.clear();
  st.needed = 0;
  st.offset += missing;
}

void StreamPipeline::resync(Direction dir, DissectContext& ctx) {
  DirState& st = state(dir);
  if (st.stopped) {
    return;
  }
  st.pending.clear();
  st.needed = 0;
  if (!dissector_.onResync(dir, ctx)) {
    st.stopped = true;
  }
}

void StreamPipeline::end(Direction dir, EndReason why, DissectContext& ctx) {
  DirState& st = state(dir);
  if (st.ended) {
    return;
  }
  st.ended = true;
  if (!st.pending.empty() && !st.stopped) {
    ctx.anomaly("engine.incomplete_pdu", dir, st.offset,
                std::to_string(st.pending.size()) +
                    " bytes of an incomplete PDU were pending when the stream ended");
  }
  dissector_.onEnd(dir, why, ctx);
  st.pending.clear();
}

}  // namespace rdpscope::engine
