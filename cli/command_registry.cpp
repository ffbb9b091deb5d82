#include "command_registry.h"

#include <fmt/format.h>

namespace bt::cli {
namespace {
std::vector<RegisteredCommand>& registry() {
  static std::vector<RegisteredCommand> commands;
  return commands;
}

// A number check: "" when `text` is a number for which `ok` holds, else what is wrong.
CLI::Validator number_check(const std::string& expected, std::function<bool(double)> ok) {
  return CLI::Validator(
      [expected, ok](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "expected a number, got '" + text + "'";
        return ok(value) ? std::string() : "must be " + expected + ", got " + text;
      },
      expected);
}
}  // namespace

CLI::Validator at_least(double minimum) {
  return number_check(fmt::format(">= {:g}", minimum), [minimum](double v) { return v >= minimum; });
}

CLI::Validator above(double minimum) {
  return number_check(fmt::format("> {:g}", minimum), [minimum](double v) { return v > minimum; });
}

CommandRegistration::CommandRegistration(std::string group, std::string group_help,
                                         CommandSetup setup) {
  registry().push_back({std::move(group), std::move(group_help), std::move(setup)});
}

const std::vector<RegisteredCommand>& registered_commands() { return registry(); }

}  // namespace bt::cli
