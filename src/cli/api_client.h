#pragma once

// Shared plumbing of the client commands: connection flags, one signed call with error reporting
// and exit codes, JSON and table output (docs/cli.md).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json/value.hpp>

#include "control/client.h"

namespace tenet::cli {

struct Conn {
  control::ClientFlags flags;
  bool json = false;
};

// --data-dir, --endpoint-url, --profile, --region, --ca-bundle, --json.
void add_conn_flags(CLI::App* cmd, const std::shared_ptr<Conn>& c);
// Sends the call; on failure prints `tenet: <Error> (HTTP n): message` and sets the exit code.
// Returns the JSON body on success (null for an empty body).
std::optional<boost::json::value> call(const Conn& c, std::string_view method, const std::string& target,
                                       const std::string& body = {});
void print_json(const boost::json::value& v);
void print_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows);
// Epoch seconds (JSON number) -> "2026-11-25T07:15:15Z"; "-" for anything else.
std::string format_time(const boost::json::value& v);
// A member as text ("-" when absent; non-strings serialised).
std::string str(const boost::json::object& o, std::string_view k);

}  // namespace tenet::cli
