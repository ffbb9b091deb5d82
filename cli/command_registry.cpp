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

CLI::Validator seed_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        // Whole decimal digits only: CLI11 would wrap "-1" to 2^64 - 1 in an unsigned seed,
        // and XGBoost refuses seeds beyond a signed 64-bit integer.
        const bool digits = !text.empty() && text.size() <= 19 &&
                            text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || std::stoull(text) > 9223372036854775807ULL)
          return "expected a whole number from 0 to 9223372036854775807, got '" + text + "'";
        return std::string();
      },
      "");
}

CommandRegistration::CommandRegistration(std::string group, std::string group_help,
                                         CommandSetup setup) {
  registry().push_back({std::move(group), std::move(group_help), std::move(setup)});
}

const std::vector<RegisteredCommand>& registered_commands() { return registry(); }

}  // namespace bt::cli
