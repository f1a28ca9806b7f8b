// Serialized connections waiting for their turn in the output order (streamed JSON: a long
// session keeps every connection that started after it waiting). In memory up to a budget
// (RDPSCOPE_HOLD_MB, default 8 MiB of JSON text); beyond it, the text goes to an anonymous
// temporary file and only its offset and length stay in memory, so memory does not grow with
// the capture length.
//
// The file's space is reused: a text written out frees its pages, and the next text to spill
// takes the smallest free run that fits (best fit, runs in whole pages, neighbours merged). So
// the file grows to the most that was held at once, not to everything that was ever held, and
// most spills rewrite pages the kernel already has, which costs less than adding new ones
// (issue 8). Not after a text went to a pipe or socket with sendfile (see retire()).
//
// A held payload is either the text itself (a connection's JSON tail always starts with ',') or
// '\0' followed by the offset and length in the file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rdpscope::output {

class HeldText {
 public:
  // budget: bytes of text kept in memory before texts go to the file.
  explicit HeldText(std::size_t budget = std::size_t{8} << 20) : budget_(budget) {}
  ~HeldText();
  HeldText(const HeldText&) = delete;
  HeldText& operator=(const HeldText&) = delete;

  // The payload to hold for `text`: the text itself, or a reference to where it was written.
  std::string hold(std::string&& text);
  // The same from a buffer the caller reuses: copied only if it stays in memory.
  std::string hold(std::string_view text);

  // The text of a payload from hold(), read back if it was spilled (empty on a read error), and
  // the payload given up: its place in the file is free again. The text lives in `scratch`,
  // reused from one connection to the next.
  std::string_view take(std::string&& payload, std::string& scratch);

  // Where a spilled payload's text lies in the temporary file (offset, length); nullopt for a
  // text held in memory.
  static std::optional<std::pair<std::uint64_t, std::uint64_t>> spilled(
      const std::string& payload);

  enum class Send { Sent, Unsupported, Failed };
  // Copies a spilled text from the temporary file to `out_fd` inside the kernel (sendfile): read
  // back and written out it went through this process twice, and on a long capture most of the
  // output is spilled (issue 8). Unsupported: nothing was written, the kernel cannot do it for
  // this output (an O_APPEND file, say): take() the text instead. Failed: the output refused it.
  // The caller then gives the payload up with release().
  Send sendTo(int out_fd, std::uint64_t off, std::uint64_t len);
  // The payload is not needed any more: its place in the file (if spilled) is free again.
  void release(const std::string& payload);
  // The same after sendTo() to a pipe or a socket, which keep references to the file's pages
  // instead of copies (splice): its place is never written again; reset() truncates the file
  // instead, which leaves those pages to the pipe.
  void retire(const std::string& payload);

  // Nothing is held any more: every place in the file is free. Places given up with release()
  // or take() are free already; this frees the retired ones, truncating the file.
  void reset();

  std::uint64_t spilledBytes() const { return spilled_total_; }
  // The temporary file's size: the most that was spilled and held at once (page-rounded).
  std::uint64_t fileBytes() const { return file_size_; }

 private:
  bool openFile();
  std::string spill(std::string_view text);
  std::uint64_t allocateRun(std::uint64_t size);
  void freeRun(std::uint64_t off, std::uint64_t size);

  std::size_t budget_;
  std::size_t in_memory_ = 0;
  std::FILE* file_ = nullptr;
  int fd_ = -1;
  bool failed_ = false;
  std::uint64_t file_end_ = 0;   // the end of the used part of the file
  std::uint64_t file_size_ = 0;  // the furthest file_end_ went
  std::uint64_t spilled_total_ = 0;
  bool retired_ = false;  // a place was retired: reset() truncates
  // Free runs of the file below file_end_, by offset (to merge neighbours) and by size (best fit).
  std::map<std::uint64_t, std::uint64_t> free_by_offset_;
  std::multimap<std::uint64_t, std::uint64_t> free_by_size_;
};

}  // namespace rdpscope::output
