// `tenet log verify`: checks the hash chain of the authorization decision log (docs/policy.md).
#include <filesystem>
#include <iostream>
#include <memory>

#include "authz/decision_log.h"
#include "cli/commands.h"

namespace tenet::cli {

void add_log_command(CLI::App& app) {
  struct Flags {
    std::string data_dir;
    std::vector<std::string> files;
  };
  auto f = std::make_shared<Flags>();
  auto* log = app.add_subcommand("log", "The authorization decision log");
  log->require_subcommand(1);
  auto* verify = log->add_subcommand("verify", "Check that no decision-log line was removed or changed");
  verify->add_option("--data-dir", f->data_dir, "Verify DIR/decisions.log and its rotated files, oldest first");
  verify->add_option("files", f->files, "Log files, oldest first (instead of --data-dir)");
  verify->callback([f] {
    std::vector<std::string> files = f->files;
    if (files.empty()) {
      if (f->data_dir.empty()) {
        std::cerr << "tenet: give --data-dir or the log files\n";
        return set_exit_code(kExitUsage);
      }
      const std::string base = f->data_dir + "/decisions.log";
      for (int i = 1000; i >= 1; --i) {
        if (std::filesystem::exists(base + "." + std::to_string(i))) files.push_back(base + "." + std::to_string(i));
      }
      files.push_back(base);
    }
    const auto r = authz::verify_decision_log(files);
    if (!r.ok) {
      std::cerr << "tenet: decision log NOT intact: " << r.problem << "\n";
      return set_exit_code(kExitFailure);
    }
    std::cout << "decision log intact: " << r.lines << " lines in " << files.size() << " file(s)\n";
    set_exit_code(0);
  });
}

}  // namespace tenet::cli
