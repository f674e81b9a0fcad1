// Command tasks: /bin/sh -c under a watchdog process.
//
// sluice -> watchdog (own process group, stdin = the "lifeline" pipe) -> sh -c COMMAND
// The watchdog waits for the shell and exits with its status (128 + signal when killed). If sluice
// dies, the lifeline's write end closes and the watchdog kills the whole group, so no task runs on
// after its scheduler (a restarted scheduler then retries it without a twin still running).
// Everything between fork and exec is async-signal-safe: the environment is built beforehand.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/executor.h"

extern char** environ;

namespace sluice::orchestrator {

namespace {

constexpr int skip_exit_code = 99;  // Airflow's BashOperator skip_on_exit_code
constexpr auto kill_grace = std::chrono::seconds(5);

std::vector<std::string> environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string_view::npos && extra.contains(std::string(kv.substr(0, eq)))) continue;
    env.emplace_back(kv);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

void close_from(int first) {
  // close_range(2) where the kernel has it; otherwise every descriptor up to the limit.
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, ~0U, 0) == 0) return;
#endif
  const long max = sysconf(_SC_OPEN_MAX);
  for (int fd = first; fd < (max > 0 ? max : 1024); ++fd) close(fd);
}

[[noreturn]] void exec_shell(const char* const* argv, const char* const* envp) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // sluice blocks SIGINT/SIGTERM in its threads
  struct sigaction dfl{};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, nullptr);
  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  close_from(3);
  execve("/bin/sh", const_cast<char* const*>(argv), const_cast<char* const*>(envp));
  _exit(127);
}

// The watchdog's wake-up pipe: SIGCHLD writes a byte, so poll() sees the shell's exit at once.
int wake_fd = -1;
void on_child(int) {
  const int saved = errno;
  const char b = 1;
  (void)!write(wake_fd, &b, 1);
  errno = saved;
}

// The watchdog: fd 0 is the lifeline, fds 1 and 2 the output pipe.
[[noreturn]] void watchdog(const char* const* argv, const char* const* envp) {
  setpgid(0, 0);
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) _exit(126);
  wake_fd = wake[1];
  struct sigaction sa{};
  sa.sa_handler = on_child;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGCHLD, &sa, nullptr);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_UNBLOCK, &chld, nullptr);
  const pid_t shell = fork();
  if (shell < 0) _exit(126);
  if (shell == 0) exec_shell(argv, envp);
  struct pollfd fds[2] = {{.fd = 0, .events = POLLIN, .revents = 0},
                          {.fd = wake[0], .events = POLLIN, .revents = 0}};
  while (true) {
    int status = 0;
    if (waitpid(shell, &status, WNOHANG) == shell) {
      if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
      // Die of the shell's signal, so sluice tells `kill -INT` from `exit 130`.
      const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
      struct sigaction dfl{};
      dfl.sa_handler = SIG_DFL;
      sigaction(sig, &dfl, nullptr);
      sigset_t one;
      sigemptyset(&one);
      sigaddset(&one, sig);
      sigprocmask(SIG_UNBLOCK, &one, nullptr);
      kill(getpid(), sig);
      _exit(128 + sig);  // a signal that does not end the process (SIGCHLD...): say which
    }
    fds[0].revents = fds[1].revents = 0;
    if (poll(fds, 2, 1000) <= 0) continue;
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      kill(0, SIGKILL);  // sluice is gone: the whole group, this process included
      _exit(137);
    }
    char drain[64];
    while (read(wake[0], drain, sizeof drain) > 0) {
    }
  }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  }
  return "ended";
}

}  // namespace

try_outcome run_command(const std::string& command, const std::map<std::string, std::string>& env,
                        const std::atomic<bool>& cancel, log_buffer& log) {
  const std::vector<std::string> env_strings = environment(env);
  std::vector<const char*> envp;
  for (const auto& e : env_strings) envp.push_back(e.c_str());
  envp.push_back(nullptr);
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};

  int out[2], life[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return {try_outcome::failed, "pipe: " + std::string(strerror(errno))};
  if (pipe2(life, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return {try_outcome::failed, "pipe: " + std::string(strerror(errno))};
  }
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    for (int fd : {out[0], out[1], life[0], life[1]}) close(fd);
    return {try_outcome::failed, "fork: " + std::string(strerror(e))};
  }
  if (pid == 0) {
    dup2(life[0], 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    close_from(3);
    watchdog(argv, envp.data());
  }
  setpgid(pid, pid);  // also done by the child: whichever runs first
  close(out[1]);
  close(life[0]);
  fcntl(out[0], F_SETFL, O_NONBLOCK);

  // The watchdog's exit wakes poll() through a pidfd (Linux 5.3); without one, poll times out.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  char buf[16384];
  int status = 0;
  bool exited = false, eof = false;
  std::optional<std::chrono::steady_clock::time_point> term_sent;
  while (!exited) {
    struct pollfd p[2] = {{.fd = eof ? -1 : out[0], .events = POLLIN, .revents = 0},
                          {.fd = pidfd, .events = POLLIN, .revents = 0}};
    poll(p, 2, pidfd >= 0 ? 100 : 10);
    while (!eof) {
      const ssize_t n = read(out[0], buf, sizeof buf);
      if (n > 0) {
        log.append(std::string_view(buf, static_cast<size_t>(n)));
      } else if (n == 0) {
        eof = true;
      } else {
        if (errno != EAGAIN && errno != EINTR) eof = true;
        break;
      }
    }
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      // What the shell wrote last; a background child may keep the pipe open, so no waiting.
      ssize_t n;
      while (!eof && (n = read(out[0], buf, sizeof buf)) > 0) {
        log.append(std::string_view(buf, static_cast<size_t>(n)));
      }
    }
    if (cancel.load() && !exited) {
      const auto now = std::chrono::steady_clock::now();
      if (!term_sent) {
        kill(-pid, SIGTERM);
        term_sent = now;
      } else if (now - *term_sent >= kill_grace) {
        kill(-pid, SIGKILL);
      }
    }
  }
  if (pidfd >= 0) close(pidfd);
  close(out[0]);
  close(life[1]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {try_outcome::success, ""};
  if (WIFEXITED(status) && WEXITSTATUS(status) == skip_exit_code) {
    return {try_outcome::skipped, fmt::format("exit status {}", skip_exit_code)};
  }
  return {try_outcome::failed, describe_status(status)};
}

}  // namespace sluice::orchestrator
