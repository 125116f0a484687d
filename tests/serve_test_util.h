// Helpers for the HTTP service's integration tests: train a small model through the CLI, run
// `hybridrec serve` as a child process on a free loopback port, talk to it with httplib.
#pragma once

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace serve_test {
namespace fs = std::filesystem;

inline fs::path TempDir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("hr_serve_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

inline std::string Fixture(const std::string& name) {
  return std::string(HYBRIDREC_SOURCE_DIR) + "/tests/fixtures/data/" + name;
}

// Runs the CLI; returns its exit code, output (stdout + stderr) in *out.
inline int RunCli(const std::string& args, std::string* out = nullptr) {
  const std::string cmd = std::string(HYBRIDREC_CLI) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf{};
  size_t n;
  std::string o;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) o.append(buf.data(), n);
  const int st = ::pclose(p);
  if (out) *out = o;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// A small model on the ml-100k-mini fixture (LSA encoder, a few ALS sweeps: well under a second).
inline bool TrainSmallModel(const fs::path& out, int seed = 0, std::string* log = nullptr) {
  return RunCli("train --quiet --encoder lsa --factors 4 --iterations 3 --seed " + std::to_string(seed) +
                    " --data " + Fixture("ml-100k-mini") + " --out " + out.string(),
                log) == 0;
}

// `hybridrec serve` in a child process; the port is read from its "listening on" line.
class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() { Kill(SIGKILL); }

  // Starts the server and waits (up to 60 s) for the listening line. Returns false on failure
  // (log() then holds what it printed).
  bool Start(const std::vector<std::string>& args) {
    int out_pipe[2];
    if (::pipe(out_pipe) != 0) return false;
    const fs::path err_file = fs::temp_directory_path() / ("hr_serve_err_" + std::to_string(::getpid()) + "_" +
                                                           std::to_string(reinterpret_cast<uintptr_t>(this)));
    err_file_ = err_file.string();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out_pipe[1], 1);
      const int ef = ::open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (ef >= 0) ::dup2(ef, 2);
      ::close(out_pipe[0]);
      std::vector<std::string> all = {HYBRIDREC_CLI, "serve", "--host", "127.0.0.1", "--port", "0"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out_pipe[1]);
    out_fd_ = out_pipe[0];
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    char c;
    while (std::chrono::steady_clock::now() < deadline) {
      const ssize_t n = ::read(out_fd_, &c, 1);
      if (n <= 0) break;
      if (c == '\n') {
        stdout_lines_.push_back(line);
        const std::string tag = "listening on http://127.0.0.1:";
        if (const auto p = line.find(tag); p != std::string::npos) {
          port_ = std::stoi(line.substr(p + tag.size()));
          return true;
        }
        line.clear();
      } else {
        line += c;
      }
    }
    return false;
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::vector<std::string>& stdout_lines() const { return stdout_lines_; }
  std::string log() const {
    std::string s;
    if (FILE* f = std::fopen(err_file_.c_str(), "r")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
      std::fclose(f);
    }
    return s;
  }
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(30);
    c.set_write_timeout(10);
    return c;
  }
  // Sends `sig` and reaps the process; returns its wait status (-1 when not running).
  int Kill(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    if (out_fd_ >= 0) ::close(out_fd_);
    out_fd_ = -1;
    return st;
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int port_ = 0;
  std::string err_file_;
  std::vector<std::string> stdout_lines_;
};

inline nlohmann::json Json(const httplib::Result& r) {
  if (!r) return nullptr;
  return nlohmann::json::parse(r->body, nullptr, false);
}

inline httplib::Result PostJson(httplib::Client& c, const std::string& path, const std::string& body) {
  return c.Post(path.c_str(), body, "application/json");
}

}  // namespace serve_test
