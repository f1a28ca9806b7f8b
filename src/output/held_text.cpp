#include "output/held_text.h"

#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace rdpscope::output {

namespace {

// Places in the file are whole pages: a text starts on a page of its own, so rewriting it never
// shares a page with a text still held.
constexpr std::uint64_t kPage = 4096;

std::uint64_t pages(std::uint64_t len) { return (len + kPage - 1) / kPage * kPage; }

}  // namespace

HeldText::~HeldText() {
  if (file_ != nullptr) {
    std::fclose(file_);
  }
}

std::string HeldText::hold(std::string&& text) {
  if (in_memory_ + text.size() <= budget_ || !openFile()) {
    in_memory_ += text.size();
    return std::move(text);
  }
  return spill(text);
}

std::string HeldText::hold(std::string_view text) {
  if (in_memory_ + text.size() <= budget_ || !openFile()) {
    in_memory_ += text.size();
    return std::string(text);
  }
  return spill(text);
}

// Writes the text at a free place of the temporary file; returns its reference (or, if the file
// cannot take it, the text itself, kept in memory).
std::string HeldText::spill(std::string_view text) {
  const std::uint64_t size = pages(text.size());
  const std::uint64_t off = allocateRun(size);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::pwrite(fd_, text.data() + done, text.size() - done,
                               static_cast<off_t>(off + done));
    if (n <= 0) {  // disk full or similar: keep it in memory instead
      freeRun(off, size);
      in_memory_ += text.size();
      return std::string(text);
    }
    done += static_cast<std::size_t>(n);
  }
  spilled_total_ += text.size();
  std::string ref(1 + 2 * sizeof(std::uint64_t), '\0');
  const std::uint64_t len = text.size();
  std::memcpy(ref.data() + 1, &off, sizeof off);
  std::memcpy(ref.data() + 1 + sizeof off, &len, sizeof len);
  return ref;
}

std::string_view HeldText::take(std::string&& payload, std::string& scratch) {
  const auto range = spilled(payload);
  if (!range) {
    in_memory_ -= std::min(in_memory_, payload.size());
    scratch = std::move(payload);
    return scratch;
  }
  const auto [off, len] = *range;
  scratch.resize(static_cast<std::size_t>(len));
  std::size_t done = 0;
  bool ok = true;
  while (done < scratch.size()) {
    const ssize_t n = ::pread(fd_, scratch.data() + done, scratch.size() - done,
                              static_cast<off_t>(off + done));
    if (n <= 0) {
      spdlog::error("cannot read back a held connection from the temporary file");
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  freeRun(off, pages(len));
  return ok ? std::string_view(scratch) : std::string_view();
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> HeldText::spilled(
    const std::string& payload) {
  if (payload.empty() || payload[0] != '\0') {
    return std::nullopt;
  }
  std::uint64_t off = 0;
  std::uint64_t len = 0;
  std::memcpy(&off, payload.data() + 1, sizeof off);
  std::memcpy(&len, payload.data() + 1 + sizeof off, sizeof len);
  return std::make_pair(off, len);
}

HeldText::Send HeldText::sendTo(int out_fd, std::uint64_t off, std::uint64_t len) {
  auto pos = static_cast<off_t>(off);
  std::uint64_t left = len;
  while (left > 0) {
    const ssize_t n = ::sendfile(out_fd, fd_, &pos, static_cast<std::size_t>(left));
    if (n > 0) {
      left -= static_cast<std::uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && left == len && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
      return Send::Unsupported;
    }
    return Send::Failed;
  }
  return Send::Sent;
}

void HeldText::release(const std::string& payload) {
  if (const auto range = spilled(payload)) {
    freeRun(range->first, pages(range->second));
  } else {
    in_memory_ -= std::min(in_memory_, payload.size());
  }
}

void HeldText::retire(const std::string& payload) {
  if (spilled(payload)) {
    retired_ = true;
  } else {
    in_memory_ -= std::min(in_memory_, payload.size());
  }
}

void HeldText::reset() {
  free_by_offset_.clear();
  free_by_size_.clear();
  file_end_ = 0;  // without retired places, the pages are written again from the start
  if (retired_) {
    retired_ = false;
    if (::ftruncate(fd_, 0) != 0) {
      spdlog::debug("cannot truncate the temporary file");
    }
  }
}

bool HeldText::openFile() {
  if (file_ == nullptr && !failed_) {
    file_ = std::tmpfile();  // already unlinked: nothing is left behind
    failed_ = file_ == nullptr;
    if (file_ != nullptr) {
      fd_ = fileno(file_);
    } else {
      spdlog::warn("no temporary file for held connections: keeping them in memory");
    }
  }
  return file_ != nullptr;
}

// The smallest free run of at least `size` bytes (its start; the rest stays free), else the end.
std::uint64_t HeldText::allocateRun(std::uint64_t size) {
  const auto fit = free_by_size_.lower_bound(size);
  if (fit == free_by_size_.end()) {
    const std::uint64_t off = file_end_;
    file_end_ += size;
    file_size_ = std::max(file_size_, file_end_);
    return off;
  }
  const std::uint64_t run = fit->first;
  const std::uint64_t off = fit->second;
  free_by_size_.erase(fit);
  free_by_offset_.erase(off);
  if (run > size) {
    free_by_offset_.emplace(off + size, run - size);
    free_by_size_.emplace(run - size, off + size);
  }
  return off;
}

// Frees [off, off + size), merged with free neighbours; a run that reaches the end of the used
// part shortens it instead.
void HeldText::freeRun(std::uint64_t off, std::uint64_t size) {
  auto drop = [this](std::map<std::uint64_t, std::uint64_t>::iterator it) {
    const auto [first, last] = free_by_size_.equal_range(it->second);
    for (auto s = first; s != last; ++s) {
      if (s->second == it->first) {
        free_by_size_.erase(s);
        break;
      }
    }
    return free_by_offset_.erase(it);
  };
  auto next = free_by_offset_.lower_bound(off);
  if (next != free_by_offset_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == off) {
      off = prev->first;
      size += prev->second;
      next = drop(prev);
    }
  }
  if (next != free_by_offset_.end() && off + size == next->first) {
    size += next->second;
    drop(next);
  }
  if (off + size == file_end_) {
    file_end_ = off;
    return;
  }
  free_by_offset_.emplace(off, size);
  free_by_size_.emplace(size, off);
}

}  // namespace rdpscope::output
