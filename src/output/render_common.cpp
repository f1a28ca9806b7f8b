#include "output/render_common.h"

#include <algorithm>

namespace rdpscope::output::detail {
namespace {

using model::Fields;

bool isIdentityKey(std::string_view kind, std::string_view key) {
  static constexpr std::string_view kAlways[] = {
      "user", "user_name", "username", "workstation", "cookie", "client_name", "client_address",
  };
  for (auto k : kAlways) {
    if (key == k) {
      return true;
    }
  }
  // The client's domain (not the server's domain names announced in the NTLM challenge).
  return key == "domain" && (kind == "ntlm.authenticate" || kind == "rdp.client_info" ||
                             kind == "credssp.ts_credentials");
}

constexpr std::string_view kRedacted = "[redacted]";

void replaceAll(std::string& s, const std::string& what, std::string_view with) {
  if (what.empty()) {
    return;
  }
  std::size_t pos = 0;
  while ((pos = s.find(what, pos)) != std::string::npos) {
    s.replace(pos, what.size(), with);
    pos += with.size();
  }
}


std::string scalarText(const Fields& v) {
  if (v.is_string()) {
    return v.get<std::string>();
  }
  if (v.is_null()) {
    return "null";
  }
  if (v.is_boolean()) {
    return v.get<bool>() ? "true" : "false";
  }
  if (v.is_number()) {
    return v.dump();
  }
  return {};
}

}  // namespace

std::string cut(std::string s, std::size_t max_chars) {
  if (s.size() <= max_chars) {
    return s;
  }
  // Do not cut inside a UTF-8 sequence.
  std::size_t n = max_chars;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) {
    --n;
  }
  s.resize(n);
  s += "...";
  return s;
}

std::string suppressedEventsNote(std::uint64_t n) {
  return std::to_string(n) +
         " further events counted but not listed: bulk records and PDUs between the first and "
         "last kept, or past the per-connection cap";
}

bool isBulkKind(std::string_view kind) {
  return kind == "tls.application_data" || kind == "rdp.fastpath" || kind == "rdp.encrypted" ||
         kind == "rdpeudp.datagram";
}

std::optional<std::size_t> evidenceEventIndex(const model::Connection& conn) {
  if (conn.diagnosis) {
    for (const auto& e : conn.diagnosis->evidence) {
      std::vector<std::uint64_t> frames = e.frames;
      std::sort(frames.begin(), frames.end());
      const std::string& fact = e.fact;
      const std::string proto = fact.substr(0, fact.find('.'));
      for (auto f = frames.rbegin(); f != frames.rend(); ++f) {
        std::optional<std::size_t> any, same_proto;
        for (std::size_t i = 0; i < conn.events.size(); ++i) {
          const auto& ev = conn.events[i];
          if (ev.frame != *f) {
            continue;
          }
          any = i;
          if (!proto.empty() && ev.kind.compare(0, proto.size() + 1, proto + ".") == 0) {
            same_proto = i;
          }
          if (!fact.empty() && ev.kind == fact) {
            same_proto = i;
          }
        }
        if (same_proto) {
          return same_proto;
        }
        if (any) {
          return any;
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<std::size_t> verdictEventIndex(const model::Connection& conn) {
  if (conn.outcome == "failed") {
    return std::nullopt;
  }
  return evidenceEventIndex(conn);
}

std::optional<std::size_t> fatalEventIndex(const model::Connection& conn) {
  if (conn.outcome != "failed" || conn.events.empty()) {
    return std::nullopt;
  }
  if (auto i = evidenceEventIndex(conn)) {
    return i;
  }
  for (std::size_t i = conn.events.size(); i-- > 0;) {
    if (!isBulkKind(conn.events[i].kind) && conn.events[i].kind != "events.suppressed") {
      return i;
    }
  }
  return conn.events.size() - 1;
}

std::vector<TimelineRow> timelineRows(const model::Connection& conn,
                                      std::optional<std::size_t> fatal) {
  std::vector<TimelineRow> rows;
  const auto& evs = conn.events;
  std::size_t i = 0;
  while (i < evs.size()) {
    if (!isBulkKind(evs[i].kind)) {
      rows.push_back(TimelineRow{i, 1, 0, 0, 0});
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < evs.size() && isBulkKind(evs[j].kind) && !(fatal && *fatal == j)) {
      ++j;
    }
    const std::size_t run = j - i;
    if (run >= kCollapseMin) {
      for (std::size_t k = i; k < i + kKeepHead; ++k) {
        rows.push_back(TimelineRow{k, 1, 0, 0, 0});
      }
      TimelineRow mid{i + kKeepHead, run - kKeepHead - kKeepTail, 0, 0, 0};
      for (std::size_t k = mid.first; k < mid.first + mid.count; ++k) {
        (evs[k].dir == model::Direction::ToServer ? mid.to_server : mid.to_client) += 1;
        auto len = evs[k].fields.find("length");
        if (len != evs[k].fields.end() && len->is_number_integer() &&
            len->get<std::int64_t>() > 0) {
          mid.bytes += static_cast<std::uint64_t>(len->get<std::int64_t>());
        }
      }
      rows.push_back(mid);
      for (std::size_t k = j - kKeepTail; k < j; ++k) {
        rows.push_back(TimelineRow{k, 1, 0, 0, 0});
      }
    } else {
      for (std::size_t k = i; k < j; ++k) {
        rows.push_back(TimelineRow{k, 1, 0, 0, 0});
      }
    }
    if (j == i) {  // the fatal bulk event itself
      rows.push_back(TimelineRow{i, 1, 0, 0, 0});
      j = i + 1;
    }
    i = j;
  }
  return rows;
}

std::string relativeTime(Timestamp start, Timestamp ts) {
  // formatEpoch's digits for the offset, always signed: "+1.500000s", "-2.993000s" (an event
  // before the start: the capture's clock went back). Under a microsecond, "+0.000000s".
  std::string s = formatEpoch(Timestamp{ts.ns - start.ns});
  if (s.front() != '-') {
    s.insert(s.begin(), '+');
  }
  s.push_back('s');
  return s;
}

std::string durationText(Timestamp start, Timestamp end) {
  std::string s = relativeTime(start, end);
  if (!s.empty() && s[0] == '+') {
    s.erase(0, 1);
  }
  return s;
}

std::string valueText(const model::Fields& value, std::size_t max_chars) {
  std::string out;
  if (value.is_array()) {
    bool first = true;
    for (const auto& v : value) {
      if (!first) {
        out += ",";
      }
      first = false;
      out += v.is_structured() ? v.dump(-1, ' ', false, Fields::error_handler_t::replace)
                               : scalarText(v);
    }
  } else if (value.is_object()) {
    out = "{" + fieldsText(value, 16) + "}";
  } else {
    out = scalarText(value);
  }
  return cut(std::move(out), max_chars);
}

std::string fieldsText(const model::Fields& fields, std::size_t max_fields) {
  if (!fields.is_object()) {
    return {};
  }
  std::string out;
  std::size_t n = 0;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (it.value().is_null()) {
      continue;
    }
    if (n == max_fields) {
      out += " ...";
      break;
    }
    if (!out.empty()) {
      out += " ";
    }
    out += it.key() + "=" + valueText(it.value(), 80);
    ++n;
  }
  return out;
}

model::Fields displayFields(const model::Event& ev, bool redact) {
  if (!redact || !ev.fields.is_object()) {
    return ev.fields;
  }
  model::Fields out = ev.fields;
  for (auto it = out.begin(); it != out.end(); ++it) {
    if (isIdentityKey(ev.kind, it.key()) && !it.value().is_null()) {
      it.value() = std::string(kRedacted);
    }
  }
  return out;
}

std::string eventText(const model::Event& ev, bool redact) {
  std::string text = ev.summary.empty() ? fieldsText(displayFields(ev, redact)) : ev.summary;
  if (redact && ev.fields.is_object()) {
    for (auto it = ev.fields.begin(); it != ev.fields.end(); ++it) {
      if (isIdentityKey(ev.kind, it.key()) && it.value().is_string()) {
        const std::string v = it.value().get<std::string>();
        if (v.size() >= 2) {
          replaceAll(text, v, kRedacted);
        }
      }
    }
  }
  return cut(std::move(text), 240);
}

std::string memberText(const model::Fields& obj, std::string_view key) {
  if (!obj.is_object()) {
    return {};
  }
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null() || it->is_structured()) {
    return {};
  }
  return scalarText(*it);
}

std::string clientErrorText(const std::optional<model::ClientError>& ce) {
  if (!ce) {
    return {};
  }
  std::string out = ce->code.value_or("");
  if (out.empty()) {
    out = "code unknown";
  }
  if (ce->extended && !ce->extended->empty()) {
    out += " / extended " + *ce->extended;
  }
  if (!ce->message.empty()) {
    out += ": " + ce->message;
  }
  return out;
}

std::string evidenceText(const model::Evidence& evidence) {
  if (!evidence.text.empty()) {
    return evidence.text;
  }
  std::string out = evidence.fact + " = " + evidence.value.value_or("?");
  if (!evidence.frames.empty()) {
    out += " (frame";
    for (std::size_t i = 0; i < evidence.frames.size(); ++i) {
      out += (i == 0 ? " " : ", ") + std::to_string(evidence.frames[i]);
    }
    out += ")";
  }
  return out;
}

std::string securityProtocolText(const model::Connection& conn) {
  std::string s = memberText(conn.rdp, "security_protocol");
  if (s.empty()) {
    s = memberText(conn.rdp, "selected_protocol");
  }
  return s.empty() ? "-" : s;
}

std::string tlsVersionText(const model::Connection& conn) {
  std::string s = memberText(conn.tls, "version");
  return s.empty() ? "-" : s;
}

std::string authMechanismText(const model::Connection& conn) {
  std::string s = memberText(conn.credssp, "mechanism");
  return s.empty() ? "-" : s;
}

std::string stageText(const std::optional<model::Stage>& stage) {
  return stage ? std::string(model::stageName(*stage)) : std::string("-");
}

}  // namespace rdpscope::output::detail
