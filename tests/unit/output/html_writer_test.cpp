// HTML report: well-formed, self-contained, hostile wire strings escaped, DOM contract present.
#include "output/html_writer.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <vector>

#include "core/text.h"
#include "output_fixtures.h"

namespace rdpscope::output {
namespace {

using testing::failedNegotiation;
using testing::hostileStrings;
using testing::successfulTls;
using testing::summaryFor;

std::string render(const std::vector<model::Connection>& conns) {
  std::ostringstream out;
  writeHtml(out, conns, summaryFor(conns));
  return out.str();
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t pos = hay.find(needle); pos != std::string::npos;
       pos = hay.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// Minimal well-formedness check: every non-void element is closed in order; <script> and
// <style> bodies are skipped; attribute values contain no raw '<' or '>'.
std::string checkBalanced(const std::string& html) {
  static const std::vector<std::string> kVoid = {"meta", "br", "input", "link", "img", "hr", "col"};
  std::vector<std::string> stack;
  std::size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string::npos) {
    if (html.compare(pos, 4, "<!--") == 0) {
      pos = html.find("-->", pos);
      if (pos == std::string::npos) return "unterminated comment";
      continue;
    }
    if (html.compare(pos, 2, "<!") == 0) {
      pos = html.find('>', pos);
      continue;
    }
    const std::size_t end = html.find('>', pos);
    if (end == std::string::npos) return "unterminated tag";
    const std::string tag = html.substr(pos + 1, end - pos - 1);
    if (tag.find('<') != std::string::npos) return "raw < inside tag: " + tag;
    const bool closing = !tag.empty() && tag[0] == '/';
    std::string name = tag.substr(closing ? 1 : 0);
    name = name.substr(0, name.find_first_of(" \n\t/"));
    if (closing) {
      if (stack.empty() || stack.back() != name) {
        return "unexpected </" + name + "> (open: " + (stack.empty() ? "none" : stack.back()) + ")";
      }
      stack.pop_back();
      pos = end + 1;
      continue;
    }
    if (std::find(kVoid.begin(), kVoid.end(), name) == kVoid.end()) {
      stack.push_back(name);
    }
    pos = end + 1;
    if (name == "script" || name == "style") {
      const std::size_t close = html.find("</" + name, pos);
      if (close == std::string::npos) return "unterminated " + name;
      pos = close;
    }
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  return {};
}

TEST(HtmlWriter, WellFormed) {
  EXPECT_EQ(checkBalanced(render({failedNegotiation(), successfulTls(), hostileStrings()})), "");
  EXPECT_EQ(checkBalanced(render({})), "");
}

TEST(HtmlWriter, HostileStringsEscaped) {
  const std::string html = render({hostileStrings()});
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_EQ(html.find("RED\xef\xbf\xbd\xef\xbf\xbd</b>"), std::string::npos);
  EXPECT_NE(html.find("RED\xef\xbf\xbd\xef\xbf\xbd&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find('\x1b'), std::string::npos);
  EXPECT_NE(html.find("\\x1b[31mRED"), std::string::npos);
  EXPECT_EQ(sanitizeUtf8(html), html) << "report must be valid UTF-8";
  // Exactly one script element: ours.
  EXPECT_EQ(count(html, "<script"), 1u);
  EXPECT_EQ(count(html, "</script"), 1u);
}

TEST(HtmlWriter, EscapeFunction) {
  EXPECT_EQ(htmlEscape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(htmlEscape("\x1b[0m"), "\\x1b[0m");
  EXPECT_EQ(htmlEscape("\xff"), "\xef\xbf\xbd");
}

TEST(HtmlWriter, SelfContained) {
  const std::string html = render({failedNegotiation(), successfulTls()});
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos) << "print CSS embedded";
}

TEST(HtmlWriter, DomContract) {
  const auto conns = std::vector<model::Connection>{failedNegotiation(), successfulTls()};
  const std::string html = render(conns);
  for (const auto& c : conns) {
    EXPECT_NE(html.find("<section class=\"conn card\" id=\"conn-" + std::to_string(c.id) +
                        "\" data-connection-id=\"" + std::to_string(c.id) + "\""),
              std::string::npos);
  }
  // Connection 1: 5 events, all shown; connection 2: 27 events as 7 + 6 + 1 collapsed + 3 rows.
  EXPECT_EQ(count(html, " data-kind=\""), 5u + 17u);
  EXPECT_EQ(count(html, "data-count=\"11\""), 1u);
  // The fatal arrow carries the rule and shows it.
  const std::regex fatal(
      "data-kind=\"x224\\.neg_failure\" data-frame=\"6\" data-dir=\"to_client\" "
      "data-fatal=\"true\" data-rule=\"neg\\.ssl_required\"[^>]*>.*?<b class=\"rule\">"
      "neg\\.ssl_required</b>");
  EXPECT_TRUE(std::regex_search(html, fatal));
  EXPECT_EQ(count(html, "data-fatal=\"true\""), 1u);
  // The connection table has one row per connection, filterable by outcome.
  EXPECT_NE(html.find("<tr data-connection-id=\"1\" data-outcome=\"failed\">"), std::string::npos);
  EXPECT_NE(html.find("<tr data-connection-id=\"2\" data-outcome=\"success\">"), std::string::npos);
  EXPECT_NE(html.find("id=\"outcome-filter\""), std::string::npos);
}

TEST(HtmlWriter, Deterministic) {
  const auto conns = std::vector<model::Connection>{failedNegotiation(), hostileStrings()};
  EXPECT_EQ(render(conns), render(conns));
}

TEST(HtmlWriter, RedactIdentities) {
  std::ostringstream out;
  HtmlOptions o;
  o.redact_identities = true;
  writeHtml(out, {failedNegotiation()}, Summary{}, o);
  EXPECT_EQ(out.str().find("alice"), std::string::npos);
}

}  // namespace
}  // namespace rdpscope::output
