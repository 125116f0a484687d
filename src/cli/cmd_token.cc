// `hybridrec token`: a new random access token for `hybridrec serve --auth FILE` and the line to
// add to that file (serve/auth.h), so nobody hashes tokens by hand.
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "serve/auth.h"

namespace hybridrec::cli {
namespace {

int RunToken(const std::string& role_name, const std::string& name) {
  const auto role = serve::ParseRole(role_name);
  if (!role) {
    std::cerr << "error: --role must be read, write or admin, not '" << role_name << "'\n";
    return 2;
  }
  auto token = serve::NewToken();
  if (!token.ok()) {
    std::cerr << "error: " << token.status().message() << "\n";
    return 1;
  }
  const std::string line = serve::TokenLine(*role, *token, name);
  // The line must read back as what it says (catches a name the tokens file would refuse).
  if (auto check = serve::ParseAccessTokens(line, "(new line)"); !check.ok()) {
    std::cerr << "error: " << check.status().message() << "\n";
    return 2;
  }
  std::cout << "# token, for the client's header 'Authorization: Bearer <token>' (only its hash is stored):\n"
            << *token << "\n"
            << "# line to add to the tokens file given to `hybridrec serve --auth FILE`:\n"
            << line << std::endl;
  return 0;
}

}  // namespace

void RegisterToken(CLI::App& app, CommandRegistry& reg) {
  auto role = std::make_shared<std::string>("write");
  auto name = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand(
      "token", "Print a new random access token and its line for the tokens file of `serve --auth FILE`");
  sub->add_option("--role", *role, "read | write | admin (each includes the ones before it)")->capture_default_str();
  sub->add_option("--name", *name, "label stored with the hash (visible ASCII, no spaces, at most 64 bytes)");
  reg.Add(sub, [role, name] { return RunToken(*role, *name); });
}

}  // namespace hybridrec::cli
