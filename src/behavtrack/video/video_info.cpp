#include "behavtrack/video/video_info.h"

#include <nlohmann/json.hpp>

#include "behavtrack/video/stream_index.h"

namespace bt::video {

VideoInfo probe(const std::filesystem::path& path) {
  detail::install_libav_log_bridge();
  detail::FormatInputPtr format = detail::open_input(path);
  const int stream = detail::find_video_stream(format.get(), path);
  return detail::index_stream(format.get(), stream, path).info;
}

std::string to_json(const VideoInfo& info, int indent) {
  nlohmann::ordered_json j;
  j["path"] = info.path.string();
  j["codec"] = info.codec;
  j["pixel_format"] = info.pixel_format;
  j["width"] = info.width;
  j["height"] = info.height;
  j["fps"] = {{"num", info.fps.num}, {"den", info.fps.den}, {"value", info.fps.value()}};
  j["n_frames"] = info.n_frames;
  j["duration_s"] = info.duration_s;
  j["variable_frame_rate"] = info.variable_frame_rate;
  j["damage"] = info.damage.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(info.damage);
  j["key_frames"] = info.key_frames;
  j["frame_times_s"] = info.frame_times_s;
  return j.dump(indent);
}

}  // namespace bt::video
