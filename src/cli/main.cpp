// rdpscope command line: analyze capture files, capture live, explain Windows client codes,
// list the diagnosis rules. Product output goes to stdout or --output; diagnostics to stderr.
#include <pwd.h>
#include <grp.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <ext/stdio_filebuf.h>

#include <boost/program_options.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "capture/packet_source.h"
#include "engine/analyzer.h"
#include "engine/keystore.h"
#include "engine/ordered_emitter.h"
#include "engine/sharded_analyzer.h"
#include "output/held_text.h"
#include "output/html_writer.h"
#include "output/json_writer.h"
#include "output/pcapng_annotator.h"
#include "output/summary.h"
#include "output/text_writer.h"
#include "rules/attempts.h"
#include "rules/engine.h"
#include "rules/explain.h"
#include "rules/rule_set.h"

#ifndef RDPSCOPE_VERSION
#define RDPSCOPE_VERSION "0.1.0"
#endif
#ifndef RDPSCOPE_DEFAULT_CAPTURE
#define RDPSCOPE_DEFAULT_CAPTURE ""
#endif

#ifdef RDPSCOPE_WITH_JEMALLOC
// jemalloc's start-up options (it reads this symbol before main; MALLOC_CONF in the environment
// is applied after it). Its arenas on transparent huge pages: a packet touches the state of its
// flow (Flow, Session, reassembler, dissectors), scattered over the heap among hundreds of open
// flows, and with 4 KiB pages nearly every such touch also missed the TLB. 2 GB corpus: 1.31 ->
// 1.28 s, peak RSS 75 -> 83 MB (docs/performance.md, thirteenth round). Where the kernel grants
// no huge pages (transparent_hugepage=never), this changes nothing.
extern "C" {
const char* malloc_conf = "thp:always";
}
#endif

namespace po = boost::program_options;
using namespace rdpscope;

namespace {

// Exit codes (documented in --help and README).
constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitInput = 2;    // capture file unreadable / not a capture
constexpr int kExitCapture = 3;  // live capture: interface, permission or filter problem
constexpr int kExitConfig = 4;   // key log, RSA key or rules file unusable
constexpr int kExitOutput = 5;   // output file cannot be written
constexpr int kExitPartial = 6;  // capture file damaged mid-way: what was read is reported

std::atomic<bool> g_stop{false};
capture::PacketSource* g_source = nullptr;

void onSignal(int) {
  g_stop = true;
  if (g_source != nullptr) {
    g_source->breakLoop();
  }
}

const char* kUsage = R"(rdpscope - explains why Remote Desktop (RDP) connections fail, from packet captures

Usage:
  rdpscope analyze [FILE...] [options]   analyze pcap/pcapng files (merged by time); with no FILE,
                                          a bundled sample capture
  rdpscope live -i IFACE [options]       capture live and report each connection as it ends
  rdpscope explain CODE [--extended X]   what a Remote Desktop client error code means
  rdpscope rules [--rules FILE]          list the diagnosis rules
  rdpscope --version | --help

Examples:
  rdpscope analyze capture.pcapng
  rdpscope analyze a.pcap b.pcap --format json --output result.jsonl
  rdpscope analyze rdp.pcap --keylog sslkeys.log --only-failed
  rdpscope analyze rdp.pcap --format html --output report.html
  sudo rdpscope live -i eth0 --duration 60
  rdpscope explain 0x904 --extended 0x7

Exit codes:
  0 success   1 usage error   2 unreadable capture file   3 live capture failed (interface,
  permission, filter)   4 key log / RSA key / rules file unusable   5 output not writable
  6 capture file damaged part-way (everything before the damage was analysed and reported)
)";

struct CliOptions {
  std::string command;
  std::vector<std::string> files;
  std::string format = "text";
  std::string output;
  std::string color = "auto";
  bool brief = false;
  std::optional<std::uint64_t> connection;
  bool only_failed = false;
  std::string server;
  std::string write_annotated;
  std::string keylog;
  bool decrypt_all = false;
  std::string rsa_key;
  std::string rules_file;
  std::vector<std::uint16_t> ports;
  bool redact = false;
  bool verbose = false;
  bool progress = true;
  std::size_t max_flows = limits::kDefaultMaxFlows;
  std::size_t threads = 1;
  // live
  std::string interface;
  std::string filter;
  double duration = 0;
  std::uint64_t count = 0;
  int snaplen = 262144;
  bool no_promisc = false;
  int buffer_mb = 16;
  std::string drop_user;
  // explain
  std::string code;
  std::string extended;
};

int fail(int code, const std::string& message) {
  std::cerr << "rdpscope: " << message << '\n';
  return code;
}

bool wanted(const model::Connection& c, const CliOptions& o) {
  if (o.connection && c.id != *o.connection) {
    return false;
  }
  if (o.only_failed && c.outcome != "failed") {
    return false;
  }
  if (!o.server.empty() && c.server.ip != o.server) {
    return false;
  }
  return true;
}

// What the summary counts, the attempt grouper, the output order and the filters still read once
// the connection's JSON text is made (see rules/attempts.cpp, output::Summary::add, wanted()).
model::Connection skeleton(model::Connection&& c) {
  model::Connection s;
  s.id = c.id;
  s.transport = std::move(c.transport);
  s.client = std::move(c.client);
  s.server = std::move(c.server);
  s.start = c.start;
  s.end = c.end;
  s.stage_reached = c.stage_reached;
  s.outcome = std::move(c.outcome);
  if (c.diagnosis) {
    model::Diagnosis d;
    d.rule = std::move(c.diagnosis->rule);
    d.stage = c.diagnosis->stage;
    s.diagnosis = std::move(d);
  }
  using namespace std::string_view_literals;  // compared as views: the sizes first, no strlen
  for (auto& ev : c.events) {
    const std::string_view kind = ev.kind;
    if (kind == "anomaly"sv) {
      model::Event e;
      e.kind = "anomaly";
      s.events.push_back(std::move(e));
    } else if (kind == "x224.connection_request"sv || kind == "x224.connection_confirm"sv ||
               kind == "x224.neg_failure"sv || kind == "rdp.server_redirection"sv) {
      s.events.push_back(std::move(ev));
    }
  }
  return s;
}

// Drops root after the capture handle is open (as tcpdump -Z does).
std::string dropPrivileges(const std::string& user) {
  if (geteuid() != 0) {
    return {};
  }
  const std::string name = user.empty() ? "nobody" : user;
  struct passwd* pw = getpwnam(name.c_str());
  if (pw == nullptr) {
    return "cannot drop privileges: no user '" + name + "'";
  }
  if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
      setuid(pw->pw_uid) != 0) {
    return "cannot drop privileges to '" + name + "'";
  }
  spdlog::info("dropped privileges to user {}", name);
  return {};
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}
  void update(const capture::PacketSource& src, std::uint64_t packets, std::uint64_t connections,
              bool force = false) {
    if (!enabled_) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(250)) {
      return;
    }
    last_ = now;
    const double total = static_cast<double>(src.bytesTotal());
    const double done = static_cast<double>(src.bytesRead());
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double frac = total > 0 ? done / total : 0;
    const double eta = frac > 0.01 ? elapsed * (1 - frac) / frac : 0;
    std::fprintf(stderr, "\r[%-30s] %5.1f%%  %.1f/%.1f MB  %llu packets  %llu connections  ETA %.0fs ",
                 std::string(static_cast<std::size_t>(frac * 30), '#').c_str(), frac * 100,
                 done / 1e6, total / 1e6, static_cast<unsigned long long>(packets),
                 static_cast<unsigned long long>(connections), eta);
    shown_ = true;
  }
  void clear() {
    if (shown_) {
      std::fprintf(stderr, "\r%100s\r", "");
    }
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

int runAnalysis(CliOptions& o) {
  // Configuration first: a bad key or rules file is reported before any work is done.
  auto rules = o.rules_file.empty() ? rules::loadDefaultRules() : rules::loadRulesFile(o.rules_file);
  if (!rules) {
    return fail(kExitConfig, rules.error());
  }
  if (o.command == "analyze" && o.files.empty()) {
    // The bundled sample: analysed with the key log recorded beside it, so the decrypted story
    // (Set Error Info inside TLS) shows.
    o.files.push_back(RDPSCOPE_DEFAULT_CAPTURE);
    const std::string keys_beside =
        o.files.back().substr(0, o.files.back().find_last_of('/') + 1) + "keys.log";
    if (o.keylog.empty() && o.rsa_key.empty() && ::access(keys_beside.c_str(), R_OK) == 0) {
      o.keylog = keys_beside;
    }
    std::cerr << "rdpscope: no capture given: analysing the bundled sample " << o.files.back()
              << (o.keylog.empty() ? "" : " with its key log") << '\n';
  }
  std::unique_ptr<engine::KeyStore> keys;
  if (o.keylog.empty()) {
    if (const char* env = std::getenv("SSLKEYLOGFILE"); env != nullptr && *env != '\0') {
      o.keylog = env;
    }
  }
  if (!o.keylog.empty() || !o.rsa_key.empty()) {
    auto loaded = engine::KeyStore::load(o.keylog, o.rsa_key);
    if (!loaded.store) {
      return fail(kExitConfig, loaded.error);
    }
    // The bundled sample's key log is public lab material: no permission warning for it.
    const bool bundled_keys = o.keylog.rfind(std::string(RDPSCOPE_DEFAULT_CAPTURE).substr(
                                  0, std::string(RDPSCOPE_DEFAULT_CAPTURE).find_last_of('/')), 0) == 0;
    for (const auto& w : loaded.warnings) {
      if (!bundled_keys) {
        spdlog::warn("{}", w);
      }
    }
    keys = std::move(loaded.store);
    keys->setDecryptBulk(o.decrypt_all);
  }

  // Open the input.
  std::unique_ptr<capture::PacketSource> source;
  if (o.command == "live") {
    capture::LiveOptions lo;
    lo.interface = o.interface;
    lo.filter = o.filter.empty() ? capture::defaultLiveFilter(o.ports) : o.filter;
    lo.snaplen = o.snaplen;
    lo.promiscuous = !o.no_promisc;
    lo.buffer_size_mb = o.buffer_mb;
    auto opened = capture::openLive(lo);
    if (!opened.source) {
      return fail(kExitCapture, opened.error);
    }
    source = std::move(opened.source);
    if (auto err = dropPrivileges(o.drop_user); !err.empty()) {
      return fail(kExitCapture, err);
    }
  } else {
    auto opened = capture::openFiles(o.files);
    if (!opened.source) {
      return fail(kExitInput, opened.error);
    }
    source = std::move(opened.source);
  }

  // Output after privileges are dropped, so files are not owned by root. A stream over the
  // file's descriptor (as std::ofstream, which does not tell it): spilled connections are sent
  // to it straight from the temporary file (HeldText::sendTo).
  std::unique_ptr<__gnu_cxx::stdio_filebuf<char>> file_buf;
  std::unique_ptr<std::ostream> file_out;
  std::ostream* out = &std::cout;
  int out_fd = STDOUT_FILENO;
  if (!o.output.empty()) {
    const int fd = ::open(o.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
      return fail(kExitOutput, "cannot write output file '" + o.output + "': " + std::strerror(errno));
    }
    file_buf = std::make_unique<__gnu_cxx::stdio_filebuf<char>>(fd, std::ios::out);
    file_out = std::make_unique<std::ostream>(file_buf.get());
    out = file_out.get();
    out_fd = fd;
  }
  std::unique_ptr<output::PcapngAnnotator> live_annotator;
  if (o.command == "live" && !o.write_annotated.empty()) {
    std::string err;
    live_annotator = output::PcapngAnnotator::open(o.write_annotated, err);
    if (!live_annotator) {
      return fail(kExitOutput, err);
    }
  }
  const bool color = o.color == "always" || (o.color == "auto" && o.output.empty() &&
                                               isatty(STDOUT_FILENO) && o.format == "text");
  const bool live = o.command == "live";
  // JSON from files streams: each connection is written as soon as nothing can sort before it
  // (engine::OrderedEmitter), attempts are grouped incrementally and the summary only counts,
  // so memory follows the connections open at once, not the file size. Text and HTML print the
  // summary first and keep everything; --write-annotated needs every connection at the end.
  const bool stream_json = o.format == "json" && !live && o.write_annotated.empty();

  std::vector<model::Connection> conns;
  std::uint64_t next_id = 1;
  output::Summary summary;
  rules::AttemptGrouper grouper;
  std::uint64_t streamed = 0;
  // Without --connection (which needs the output id), a finished connection is serialized at
  // once and held for ordering as its JSON text plus a stripped Connection: several times
  // smaller than the full record while a long session keeps older ones waiting.
  const bool hold_text = !o.connection.has_value();
  // RDPSCOPE_HOLD_MB: MiB of JSON text held in memory before the temporary file (default 8).
  std::size_t hold_budget = std::size_t{8} << 20;
  if (const char* env = std::getenv("RDPSCOPE_HOLD_MB"); env != nullptr && *env != '\0') {
    hold_budget = static_cast<std::size_t>(std::strtoull(env, nullptr, 10)) << 20;
  }
  output::HeldText held(hold_budget);
  std::string taken;  // the text of the connection being written (HeldText::take)
  bool send_spilled = true;  // until the output refuses sendfile
  // Whether sendfile to the output copies the bytes (a file, /dev/null, a terminal) or lends the
  // temporary file's pages (a pipe, a socket): only then may they be written again at once.
  struct stat out_stat {};
  const bool output_copies = ::fstat(out_fd, &out_stat) == 0 &&
                             (S_ISREG(out_stat.st_mode) || S_ISCHR(out_stat.st_mode));
  engine::OrderedEmitter emitter([&](model::Connection&& c, std::string&& tail) {
    c.id = next_id++;
    ++streamed;
    grouper.add(c);
    summary.add(c);
    if (wanted(c, o)) {
      using Send = output::HeldText::Send;
      const auto range =
          hold_text && send_spilled && *out ? output::HeldText::spilled(tail) : std::nullopt;
      Send sent = Send::Unsupported;
      if (range) {
        output::writeJsonLineHead(*out, c.id, c.attempt);
        out->flush();  // the head goes out before the text sent behind the stream's back
        sent = *out ? held.sendTo(out_fd, range->first, range->second) : Send::Failed;
      }
      if (sent == Send::Sent || sent == Send::Failed) {
        if (sent == Send::Sent) {
          out->put('\n');
        } else {
          out->setstate(std::ios::badbit);  // reported at the end, as any failed write
        }
        if (output_copies) {
          held.release(tail);
        } else {
          held.retire(tail);
        }
      } else if (range) {
        send_spilled = false;  // this output cannot take it: read the texts back from now on
        const std::string_view text = held.take(std::move(tail), taken);
        out->write(text.data(), static_cast<std::streamsize>(text.size()));
        out->put('\n');
        output::releaseLargeBuffer(taken);
      } else if (hold_text) {
        output::writeJsonLineTail(*out, c.id, c.attempt, held.take(std::move(tail), taken));
        output::releaseLargeBuffer(taken);
      } else {
        output::writeJsonLine(*out, c, o.redact);
      }
    } else {
      held.release(tail);
    }
  });
  bool finishing = false;
  engine::Analyzer* analyzer_ptr = nullptr;
  auto on_connection = [&](model::Connection&& c) {
    rules::diagnose(c, *rules);
    if (stream_json) {
      if (hold_text) {
        // A view of the writer's buffer: held.hold() copies it or writes it to the file.
        const std::string_view tail =
            wanted(c, o) ? output::connectionJsonTailView(c, o.redact) : std::string_view();
        emitter.push(skeleton(std::move(c)), held.hold(tail));
      } else {
        emitter.push(std::move(c));
      }
      if (finishing) {
        // Analyzer::finish() goes by start time: everything before the oldest flow still open
        // can go out now, so the flows open at the end are not all held at once.
        emitter.release(analyzer_ptr->oldestOpenStart(), Timestamp{std::numeric_limits<std::int64_t>::max()});
      }
    } else {
      conns.push_back(std::move(c));
    }
  };

  engine::AnalyzerOptions ao;
  ao.extra_ports = o.ports;
  ao.keys = keys.get();
  ao.redact_identities = o.redact;
  ao.max_flows = o.max_flows;
  // Streamed JSON reads connections only through the rules and the JSON writer, both of which
  // take compact bulk events as they are (no summary or field tree built for them).
  ao.compact_events = stream_json;
  engine::Analyzer analyzer(ao, on_connection);
  analyzer_ptr = &analyzer;

  // --threads N >= 2 (JSON from files only, checked in main()): flows sharded across N
  // analysers, this thread's and N - 1 workers'; each diagnoses and serializes its own, and this
  // thread also reads, dispatches and writes in order.
  std::optional<engine::ShardedAnalyzer> sharded;
  std::uint64_t collected = 0;
  auto collect = [&](engine::PreparedConnection&& pc) {
    ++collected;
    emitter.push(std::move(pc.conn), hold_text ? held.hold(std::move(pc.payload)) : std::string());
  };
  if (o.threads > 1) {
    sharded.emplace(ao, o.threads, [&](model::Connection&& c) {
      rules::diagnose(c, *rules);
      if (!hold_text) {
        return engine::PreparedConnection{std::move(c), {}};
      }
      std::string tail = wanted(c, o) ? output::connectionJsonTail(c, o.redact) : std::string();
      return engine::PreparedConnection{skeleton(std::move(c)), std::move(tail)};
    });
  }

  g_source = source.get();
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);

  ProgressBar progress(o.progress && !live);
  const bool live_status_tty = live && o.progress && isatty(STDERR_FILENO);
  auto last_status = std::chrono::steady_clock::now();
  const auto started = std::chrono::steady_clock::now();
  capture::RawPacket pkt;
  std::size_t printed = 0;
  // Exactly one of these two loops runs: sharded (--threads N >= 2), or the single analyzer.
  while (sharded && !g_stop && source->next(pkt)) {
    sharded->onPacket(pkt);
    if ((sharded->packets() & 0xFFF) == 0) {
      progress.update(*source, sharded->packets(), collected);
    }
    emitter.release(std::nullopt, sharded->collect(collect));
    if (emitter.held() == 0) {
      held.reset();
    }
  }
  while (!sharded && !g_stop && source->next(pkt)) {
    analyzer.onPacket(pkt);
    if (live_annotator && pkt.frame != 0) {
      live_annotator->addPacket(pkt.linktype, pkt.ts, pkt.caplen, pkt.wirelen, pkt.bytes, pkt.frame);
    }
    if ((analyzer.stats().packets & 0xFFF) == 0) {
      progress.update(*source, analyzer.stats().packets,
                      analyzer.stats().connections + analyzer.openFlows());
    }
    if (stream_json) {
      emitter.release(analyzer.oldestOpenStart(), pkt.ts);
      if (emitter.held() == 0) {
        held.reset();
      }
    }
    if (live) {
      if (o.count > 0 && analyzer.stats().packets >= o.count) {
        break;
      }
      if (o.duration > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                          started).count() >= o.duration) {
        break;
      }
      // A one-line status every few seconds on a terminal (never into a redirected stderr).
      if (live_status_tty) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_status >= std::chrono::seconds(5)) {
          last_status = now;
          const auto st = source->stats();
          std::fprintf(stderr, "\rrdpscope live: %llu packets, %llu connections finished, %zu open, "
                               "%llu dropped   ",
                       static_cast<unsigned long long>(analyzer.stats().packets),
                       static_cast<unsigned long long>(analyzer.stats().connections),
                       analyzer.openFlows(),
                       static_cast<unsigned long long>(st.dropped + st.if_dropped));
          std::fflush(stderr);
        }
      }
      // Live: print each connection as soon as it is finished.
      for (; printed < conns.size(); ++printed) {
        if (live_status_tty) {
          std::fprintf(stderr, "\r%90s\r", "");
        }
        auto& c = conns[printed];
        c.id = next_id++;
        if (o.format == "json") {
          output::writeJsonLine(*out, c, o.redact);
        } else if (o.format == "text") {
          output::TextOptions to{color, o.brief, o.redact};
          output::writeText(*out, {c}, output::Summary{}, to);
        }
        out->flush();
      }
    }
  }
  progress.clear();
  if (live_status_tty) {
    std::fprintf(stderr, "\r%90s\r", "");
  }
  const std::string read_error = source->error();
  finishing = true;
  if (sharded) {
    sharded->finish(collect, [&](Timestamp watermark) { emitter.release(std::nullopt, watermark); });
  } else {
    analyzer.finish();
  }
  emitter.flush();
  const engine::AnalyzerStats stats = sharded ? sharded->stats() : analyzer.stats();

  // Deterministic order: first packet time, then 5-tuple.
  std::vector<model::Connection> rest(std::make_move_iterator(conns.begin() + static_cast<std::ptrdiff_t>(printed)),
                                      std::make_move_iterator(conns.end()));
  conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(printed), conns.end());
  std::stable_sort(rest.begin(), rest.end(), [](const model::Connection& a, const model::Connection& b) {
    return std::tie(a.start.ns, a.client.ip, a.client.port, a.server.ip, a.server.port, a.transport) <
           std::tie(b.start.ns, b.client.ip, b.client.port, b.server.ip, b.server.port, b.transport);
  });
  for (auto& c : rest) {
    c.id = next_id++;
    conns.push_back(std::move(c));
  }

  summary.files = live ? std::vector<std::string>{} : o.files;
  summary.interface = live ? o.interface : "";
  summary.packets = stats.packets;
  summary.bytes = stats.bytes;
  if (stats.packets > 0) {
    summary.capture_start = stats.first_ts;
    summary.capture_end = stats.last_ts;
  }
  if (live) {
    const auto st = source->stats();
    if (st.available) {
      summary.drops = st.dropped + st.if_dropped;
      std::cerr << "rdpscope: " << st.received << " packets received by the filter, " << st.dropped
                << " dropped by the kernel, " << st.if_dropped << " dropped by the interface\n";
    }
  }
  auto attemptLine = [](const std::string& id, const std::string& client, const std::string& server,
                        std::size_t count, const std::string& story) {
    return "attempt " + id + " (" + client + " -> " + server + ", " + std::to_string(count) +
           " connections): " + story;
  };
  if (stream_json) {
    summary.finishTally();
    for (const auto& a : grouper.lines()) {
      summary.attempts.push_back(attemptLine(a.id, a.client_ip, a.server_ip, a.count, a.story));
    }
  } else {
    rules::groupAttempts(conns);
    summary.tally(conns);
    for (const auto& a : rules::summarizeAttempts(conns)) {
      if (a.connections.size() > 1) {
        summary.attempts.push_back(
            attemptLine(a.id, a.client_ip, a.server_ip, a.connections.size(), a.story));
      }
    }
  }

  if (o.format == "json") {
    for (std::size_t i = printed; i < conns.size(); ++i) {
      if (wanted(conns[i], o)) {
        output::writeJsonLine(*out, conns[i], o.redact);
      }
    }
    output::writeJsonSummary(*out, summary);
  } else {
    // Text and HTML take a vector: move the wanted connections there unless the annotator still
    // needs them all (then copy).
    std::vector<model::Connection> shown;
    const bool keep = !o.write_annotated.empty();
    for (std::size_t i = printed; i < conns.size(); ++i) {
      if (wanted(conns[i], o)) {
        shown.push_back(keep ? model::Connection(conns[i]) : std::move(conns[i]));
      }
    }
    if (o.format == "html") {
      output::writeHtml(*out, shown, summary, output::HtmlOptions{o.redact, "rdpscope report"});
    } else {
      output::TextOptions to{color, o.brief, o.redact};
      output::writeText(*out, shown, summary, to);
    }
  }
  out->flush();
  if (file_buf) {
    const bool written = static_cast<bool>(*out);
    if (file_buf->close() == nullptr || !written) {
      return fail(kExitOutput, "writing output file '" + o.output + "' failed");
    }
  } else if (!*out) {
    return fail(kExitOutput, "writing the report to standard output failed (disk full or closed?)");
  }

  if (!o.write_annotated.empty()) {
    if (live) {
      if (auto err = live_annotator->finish(conns); !err.empty()) {
        return fail(kExitOutput, err);
      }
    } else if (auto err = output::writeAnnotatedPcapng(o.files, o.write_annotated, conns); !err.empty()) {
      return fail(kExitOutput, err);
    }
  }
  if (keys) {
    const auto missed = keys->missedClientRandoms();
    if (!missed.empty()) {
      std::string list;
      for (std::size_t i = 0; i < missed.size() && i < 8; ++i) {
        list += (i ? ", " : "") + missed[i];
      }
      std::cerr << "rdpscope: the key log has no secrets for " << missed.size()
                << " TLS session(s); client randoms looked for: " << list
                << (missed.size() > 8 ? ", ..." : "") << '\n';
    }
  }
  spdlog::info("{} packets, {} connections, {} non-RDP packets, {} IP fragments, {} undecodable",
               stats.packets, stream_json ? streamed : conns.size(),
               stats.non_rdp_packets,
               stats.ip_fragments,
               stats.malformed + stats.truncated + stats.unsupported_link);
  if (stream_json) {
    const auto& es = emitter.stats();
    spdlog::info("streamed {} connections: at most {} held for ordering, {} forced out by the cap, "
                 "{} late; {} attempts tracked at the end; peak open flows {}; {} bytes of JSON held "
                 "in a temporary file of {} bytes",
                 es.released, es.peak_held, es.forced, es.late, grouper.tracked(),
                 stats.peak_flows, held.spilledBytes(), held.fileBytes());
  }
  if (sharded) {
    const auto& ss = sharded->shardedStats();
    spdlog::info("{} threads: {} batches, {} sweep ticks, {} waits to decide a sweep, {} waits for a "
                 "full queue (peak open flows above: sum of per-thread peaks)",
                 o.threads, ss.batches, ss.sweep_ticks, ss.sync_waits, ss.full_waits);
  }
  if (!read_error.empty()) {
    return fail(kExitPartial, read_error);
  }
  return kExitOk;
}

std::uint16_t parsePort(const std::string& s) {
  const unsigned long v = std::stoul(s);
  if (v == 0 || v > 65535) {
    throw po::error("invalid port '" + s + "'");
  }
  return static_cast<std::uint16_t>(v);
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("rdpscope");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("rdpscope: %l: %v");
  spdlog::set_level(spdlog::level::warn);

  CliOptions o;
  std::vector<std::string> port_strings;
  po::options_description common("Options");
  common.add_options()
      ("help,h", "show this help")
      ("version", "print the version")
      ("format,f", po::value(&o.format)->default_value("text"), "output: text | json | html")
      ("output,o", po::value(&o.output), "write the report to FILE instead of stdout")
      ("color", po::value(&o.color)->default_value("auto"), "auto | always | never")
      ("brief", po::bool_switch(&o.brief), "one line per connection")
      ("connection", po::value<std::uint64_t>(), "show only connection N")
      ("only-failed", po::bool_switch(&o.only_failed), "show only failed connections")
      ("server", po::value(&o.server), "show only connections to server IP")
      ("write-annotated", po::value(&o.write_annotated), "write the input as pcapng with a comment on every RDP packet")
      ("keylog", po::value(&o.keylog), "TLS key log file (NSS format; default: $SSLKEYLOGFILE)")
      ("rsa-key", po::value(&o.rsa_key), "server RSA private key (PEM) for RSA key exchange")
      ("decrypt-all", po::bool_switch(&o.decrypt_all), "with keys: decrypt every record of active sessions, not only their first and last few (slower)")
      ("rules", po::value(&o.rules_file), "diagnosis rules file instead of the built-in rules")
      ("port", po::value(&port_strings)->composing(), "also treat this TCP/UDP port as RDP (repeatable)")
      ("redact-identities", po::bool_switch(&o.redact), "hide user, domain, workstation and client names")
      ("no-progress", "no progress bar on stderr")
      ("max-flows", po::value(&o.max_flows), "flows tracked at once before the oldest is evicted")
      ("threads", po::value(&o.threads)->default_value(1), "analyze: threads (N >= 2: flows sharded across N threads, the reading one included; --format json only)")
      ("verbose,v", po::bool_switch(&o.verbose), "diagnostics on stderr")
      ("interface,i", po::value(&o.interface), "live: interface to capture on")
      ("filter", po::value(&o.filter), "live: BPF filter (default: RDP port 3389 + RDP detection)")
      ("duration", po::value(&o.duration), "live: stop after S seconds")
      ("count", po::value(&o.count), "live: stop after N packets")
      ("snaplen", po::value(&o.snaplen), "live: bytes captured per packet")
      ("no-promisc", po::bool_switch(&o.no_promisc), "live: do not put the interface in promiscuous mode")
      ("buffer-size", po::value(&o.buffer_mb), "live: kernel buffer in MB")
      ("drop-user,Z", po::value(&o.drop_user), "live: user to switch to after opening the interface (default nobody when root)")
      ("extended", po::value(&o.extended), "explain: the extended error code");
  po::options_description hidden;
  hidden.add_options()("command", po::value(&o.command))("args", po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add("command", 1).add("args", -1);
  po::options_description all;
  all.add(common).add(hidden);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
    for (const auto& p : port_strings) {
      o.ports.push_back(parsePort(p));
    }
  } catch (const std::exception& e) {
    return fail(kExitUsage, std::string(e.what()) + " (see rdpscope --help)");
  }
  if (vm.count("help") || (o.command.empty() && !vm.count("version"))) {
    std::cout << kUsage << '\n' << common << '\n';
    return vm.count("help") ? kExitOk : kExitUsage;
  }
  if (vm.count("version")) {
    std::cout << "rdpscope " << RDPSCOPE_VERSION << '\n';
    return kExitOk;
  }
  if (vm.count("connection")) {
    o.connection = vm["connection"].as<std::uint64_t>();
  }
  if (vm.count("no-progress")) {
    o.progress = false;
  }
  if (o.verbose) {
    spdlog::set_level(spdlog::level::debug);
  }
  std::vector<std::string> args;
  if (vm.count("args")) {
    args = vm["args"].as<std::vector<std::string>>();
  }
  if (o.format != "text" && o.format != "json" && o.format != "html") {
    return fail(kExitUsage, "unknown --format '" + o.format + "' (text, json or html)");
  }
  if (o.color != "auto" && o.color != "always" && o.color != "never") {
    return fail(kExitUsage, "unknown --color '" + o.color + "' (auto, always or never)");
  }
  if (o.format == "html" && o.output.empty() && isatty(STDOUT_FILENO)) {
    return fail(kExitUsage, "--format html needs --output FILE (or redirect stdout)");
  }

  if (o.threads == 0 || o.threads > 64) {
    return fail(kExitUsage, "--threads must be between 1 and 64");
  }
  if (o.threads > 1 && (o.command != "analyze" || o.format != "json" || !o.write_annotated.empty())) {
    return fail(kExitUsage, "--threads N > 1 works with 'analyze --format json' only (not live, text, "
                            "html or --write-annotated); use --threads 1");
  }
  if (o.command == "analyze") {
    o.files = args;
    return runAnalysis(o);
  }
  if (o.command == "live") {
    if (o.interface.empty()) {
      return fail(kExitUsage, "live needs an interface: rdpscope live -i IFACE (list them with: ip link)");
    }
    return runAnalysis(o);
  }
  if (o.command == "explain") {
    if (args.empty()) {
      return fail(kExitUsage, "explain needs a code, e.g. rdpscope explain 0x904 --extended 0x7");
    }
    auto rules = o.rules_file.empty() ? rules::loadDefaultRules() : rules::loadRulesFile(o.rules_file);
    if (!rules) {
      return fail(kExitConfig, rules.error());
    }
    std::optional<std::string_view> ext;
    if (!o.extended.empty()) {
      ext = o.extended;
    } else if (args.size() > 1) {
      ext = args[1];
    }
    std::cout << rules::explainClientCode(args[0], ext, *rules);
    return kExitOk;
  }
  if (o.command == "rules") {
    auto rules = o.rules_file.empty() ? rules::loadDefaultRules() : rules::loadRulesFile(o.rules_file);
    if (!rules) {
      return fail(kExitConfig, rules.error());
    }
    std::cout << rules::listRules(*rules);
    return kExitOk;
  }
  return fail(kExitUsage, "unknown command '" + o.command + "' (analyze, live, explain, rules)");
}
