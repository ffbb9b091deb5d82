#include "behavtrack/video/image_file.h"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"

namespace bt::video {
namespace fs = std::filesystem;

void write_image(const fs::path& path, const cv::Mat& image) {
  const std::string subject = "image " + bt::quoted(path.string());
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::vector<std::string> known = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"};
  if (std::find(known.begin(), known.end(), ext) == known.end())
    throw_invalid(subject + ": unsupported extension " + bt::quoted(ext) + "; use .png, .jpg, .bmp or .tif");
  if (image.empty() || image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
    throw_invalid(subject + ": expected a non-empty 8-bit gray or BGR image");
  std::error_code ec;
  if (path.has_parent_path() && !fs::is_directory(path.parent_path(), ec))
    throw_not_found(subject + ": folder " + bt::quoted(path.parent_path().string()) + " does not exist");
  std::vector<unsigned char> bytes;
  if (!cv::imencode(ext, image, bytes)) throw_io(subject + ": cannot encode as " + ext);
  write_file_atomically(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace bt::video
