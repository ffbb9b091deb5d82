// Single pictures to files: a frame exported as PNG (lossless) or JPEG, written atomically
// (the file appears whole or not at all).
//
//   bt::video::write_image("frame_1234.png", reader.frame(1234));
//
// The format follows the extension: .png, .jpg/.jpeg, .bmp, .tif/.tiff. Input: CV_8UC3 (BGR)
// or CV_8UC1 (gray). Errors (bt::Error): an unknown extension or an empty image
// (kInvalidInput), a missing folder (kNotFound), a failed write (kIo).
// Thread safety: reentrant.
#pragma once

#include <filesystem>
#include <opencv2/core/mat.hpp>

namespace bt::video {

void write_image(const std::filesystem::path& path, const cv::Mat& image);

}  // namespace bt::video
