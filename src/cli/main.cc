// The one `tenet` binary: `tenet server`, `tenet ca issue`, `tenet bench`, ...
// Exceptions stop here: startup failures become a message and an exit code.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/log.h"

int main(int argc, char** argv) {
  // OpenSSL writes to sockets with write(2): a peer that went away must be an EPIPE error on that
  // connection, not a signal that kills the process.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"tenet: a self-hosted zero-trust IoT hub (MQTT over mutual TLS, AWS IoT compatible)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tenet 0.1.0");
  tenet::cli::add_server_command(app);
  auto* ca = tenet::cli::add_ca_command(app);
  tenet::cli::add_bench_command(app);
  tenet::cli::add_admin_commands(app);
  tenet::cli::add_registry_commands(app, ca);
  tenet::cli::add_log_command(app);
  tenet::cli::add_policy_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return tenet::cli::last_exit_code();
}
