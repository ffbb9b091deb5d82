#include "command_registry.h"

namespace bt::cli {
namespace {
std::vector<RegisteredCommand>& registry() {
  static std::vector<RegisteredCommand> commands;
  return commands;
}
}  // namespace

CommandRegistration::CommandRegistration(std::string group, std::string group_help,
                                         CommandSetup setup) {
  registry().push_back({std::move(group), std::move(group_help), std::move(setup)});
}

const std::vector<RegisteredCommand>& registered_commands() { return registry(); }

}  // namespace bt::cli
