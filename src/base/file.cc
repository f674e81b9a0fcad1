#include "base/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace sluice {

result<void> write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error("open " + tmp.string());
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto err = errno_error("write " + tmp.string());
      ::close(fd);
      return err;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto err = errno_error("fsync " + tmp.string());
    ::close(fd);
    return err;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_error("rename " + tmp.string());
  return sync_directory(path.parent_path());
}

result<void> sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open " + dir.string());
  const int r = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (r != 0) return errno_error("fsync " + dir.string(), saved);
  return {};
}

}  // namespace sluice
