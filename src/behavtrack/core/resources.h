// Where the program's non-code files live (the web/ folder: the annotation app and the
// report's template and charting library).
//
// Looked up in this order: $BT_WEB_DIR; <executable>/../share/behavtrack/web (an
// installed tree); the source tree's web/ (a build tree). Throws bt::Error (kNotFound)
// listing the places tried.
// Thread safety: reentrant.
#pragma once

#include <filesystem>

namespace bt {

std::filesystem::path web_dir();

}  // namespace bt
