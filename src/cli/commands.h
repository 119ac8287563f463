#pragma once

// Subcommands of the `tenet` binary. Each registers itself on the CLI11 app and sets the exit code.

#include <CLI/CLI.hpp>

#include "core/result.h"

namespace tenet::cli {

void add_server_command(CLI::App& app);
void add_ca_command(CLI::App& app);
void add_bench_command(CLI::App& app);

// Exit code of the subcommand that ran: 0 ok, 1 runtime failure, 2 bad input.
int last_exit_code();
void set_exit_code(const core::Error& e);
void set_exit_code(int code);

}  // namespace tenet::cli
