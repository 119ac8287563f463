#pragma once

// Subcommands of the `tenet` binary. Each registers itself on the CLI11 app and sets the exit code.

#include <CLI/CLI.hpp>

#include "core/result.h"

namespace tenet::cli {

void add_server_command(CLI::App& app);
// Returns the `ca` subcommand so other commands can add verbs to it.
CLI::App* add_ca_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_admin_commands(CLI::App& app);  // admin, endpoint, api
void add_registry_commands(CLI::App& app, CLI::App* ca);  // thing, group, cert, ca list, device
void add_log_command(CLI::App& app);                        // log verify
void add_policy_commands(CLI::App& app);                    // policy explain

// Exit codes (docs/cli.md): 0 ok, 1 runtime or server failure, 2 usage or bad request,
// 3 authentication/authorization refused, 4 not found, 5 conflict or wrong state.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitAuth = 3;
inline constexpr int kExitNotFound = 4;
inline constexpr int kExitConflict = 5;
// The exit code for an API error answer with this HTTP status.
int api_exit_code(int http_status);

// Exit code of the subcommand that ran: 0 ok, 1 runtime failure, 2 bad input.
int last_exit_code();
void set_exit_code(const core::Error& e);
void set_exit_code(int code);

}  // namespace tenet::cli
