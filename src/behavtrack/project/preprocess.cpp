#include "behavtrack/project/preprocess.h"

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>
}

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/core/runtime.h"
#include "behavtrack/project/videos.h"
#include "behavtrack/video/video_reader.h"
#include "behavtrack/video/video_writer.h"

namespace bt::project {
namespace fs = std::filesystem;
using json = nlohmann::json;

void PreprocessOptions::validate() const {
  auto bad = [](const std::string& field, const std::string& value, const std::string& rule) {
    throw_invalid("preprocess options: " + field + " " + value + ": " + rule);
  };
  if (!(fps >= 0 && fps <= 1000)) bad("fps", fmt::format("{}", fps), "must be in 0..1000 (0 = the folder's smallest)");
  if (width < 0 || width % 2) bad("width", std::to_string(width), "must be an even number of pixels (0 = the folder's smallest)");
  if (height < 0 || height % 2) bad("height", std::to_string(height), "must be an even number of pixels (0 = the folder's smallest)");
  if (!(gamma >= 0.1 && gamma <= 10)) bad("gamma", fmt::format("{}", gamma), "must be in 0.1..10");
  if (!(brightness >= -1 && brightness <= 1)) bad("brightness", fmt::format("{}", brightness), "must be in -1..1");
  if (!(contrast >= -1000 && contrast <= 1000)) bad("contrast", fmt::format("{}", contrast), "must be in -1000..1000");
  if (!(duration_s >= 0)) bad("duration_s", fmt::format("{}", duration_s), "must be >= 0 (0 = whole video)");
  if (codec != "libx264" && codec != "libx265") bad("codec", bt::quoted(codec), "must be libx264 or libx265");
  if (crf < 0 || crf > 51) bad("crf", std::to_string(crf), "must be in 0..51");
  if (jobs < 0) bad("jobs", std::to_string(jobs), "must be >= 0");
}

std::string preprocess_filter_chain(const PreprocessOptions& o, int width, int height, double fps) {
  std::string chain = o.gray ? "format=gray" : "format=yuv444p";
  if (o.gamma != 1.0 || o.brightness != 0.0 || o.contrast != 1.0)
    chain += fmt::format(",eq=gamma={}:brightness={}:contrast={}", o.gamma, o.brightness, o.contrast);
  chain += fmt::format(",scale={}:{}:flags=lanczos,fps={}", width, height, fps);
  return chain;
}

double source_time_s(const VideoRecord& output, FrameIndex index) {
  if (output.options_json.empty()) return output.fps > 0 ? index / output.fps : 0.0;
  const json o = json::parse(output.options_json);
  return static_cast<double>(index) / o.at("fps").get<double>();
}

namespace {

[[noreturn]] void av_fail(const std::string& subject, const std::string& what, int rc) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(rc, buf, sizeof buf);
  throw_io(subject + ": " + what + ": " + buf);
}

// One libavfilter graph: buffer source -> the chain -> buffer sink (gray8 or bgr24).
class FilterGraph {
 public:
  FilterGraph(const std::string& subject, int in_w, int in_h, bool gray_in, const std::string& chain, bool gray_out)
      : subject_(subject), gray_in_(gray_in), gray_out_(gray_out) {
    graph_ = avfilter_graph_alloc();
    if (!graph_) throw std::bad_alloc();
    graph_->nb_threads = 1;  // videos run in parallel; one thread per graph
    const std::string args = fmt::format("video_size={}x{}:pix_fmt={}:time_base=1/{}:pixel_aspect=1/1", in_w, in_h,
                                         static_cast<int>(gray_in ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_BGR24), kTimeBase);
    int rc = avfilter_graph_create_filter(&src_, avfilter_get_by_name("buffer"), "in", args.c_str(), nullptr, graph_);
    if (rc < 0) av_fail(subject_, "cannot create the filter source", rc);
    rc = avfilter_graph_create_filter(&sink_, avfilter_get_by_name("buffersink"), "out", nullptr, nullptr, graph_);
    if (rc < 0) av_fail(subject_, "cannot create the filter sink", rc);
    const enum AVPixelFormat fmts[] = {gray_out ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_BGR24, AV_PIX_FMT_NONE};
    rc = av_opt_set_int_list(sink_, "pix_fmts", fmts, AV_PIX_FMT_NONE, AV_OPT_SEARCH_CHILDREN);
    if (rc < 0) av_fail(subject_, "cannot set the sink format", rc);
    AVFilterInOut* outputs = avfilter_inout_alloc();
    AVFilterInOut* inputs = avfilter_inout_alloc();
    outputs->name = av_strdup("in");
    outputs->filter_ctx = src_;
    inputs->name = av_strdup("out");
    inputs->filter_ctx = sink_;
    const std::string full = chain + (gray_out ? ",format=gray" : ",format=bgr24");
    rc = avfilter_graph_parse_ptr(graph_, full.c_str(), &inputs, &outputs, nullptr);
    avfilter_inout_free(&inputs);
    avfilter_inout_free(&outputs);
    if (rc < 0) av_fail(subject_, "invalid filter chain '" + full + "'", rc);
    rc = avfilter_graph_config(graph_, nullptr);
    if (rc < 0) av_fail(subject_, "cannot configure the filter chain '" + full + "'", rc);
    frame_ = av_frame_alloc();
  }
  ~FilterGraph() {
    av_frame_free(&frame_);
    avfilter_graph_free(&graph_);
  }
  FilterGraph(const FilterGraph&) = delete;
  FilterGraph& operator=(const FilterGraph&) = delete;

  void push(const cv::Mat& image, double time_s) {
    AVFrame* f = av_frame_alloc();
    f->format = gray_in_ ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_BGR24;
    f->width = image.cols;
    f->height = image.rows;
    f->pts = std::llround(time_s * kTimeBase);
    int rc = av_frame_get_buffer(f, 0);
    if (rc < 0) {
      av_frame_free(&f);
      av_fail(subject_, "cannot allocate a frame", rc);
    }
    const std::size_t row = image.cols * image.elemSize();
    for (int y = 0; y < image.rows; ++y) std::memcpy(f->data[0] + y * f->linesize[0], image.ptr(y), row);
    rc = av_buffersrc_add_frame(src_, f);  // takes the reference
    av_frame_free(&f);
    if (rc < 0) av_fail(subject_, "filter input failed", rc);
  }
  // Ends the input at `end_time_s` (the last frame's end), so the fps filter emits frames
  // up to the true end of the video as the ffmpeg CLI does.
  void close(double end_time_s) {
    const int rc = av_buffersrc_close(src_, std::llround(end_time_s * kTimeBase), AV_BUFFERSRC_FLAG_PUSH);
    if (rc < 0) av_fail(subject_, "filter flush failed", rc);
  }
  // The next filtered frame, or false when none is ready (or the end).
  bool pull(cv::Mat& out) {
    const int rc = av_buffersink_get_frame(sink_, frame_);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return false;
    if (rc < 0) av_fail(subject_, "filter output failed", rc);
    out.create(frame_->height, frame_->width, gray_out_ ? CV_8UC1 : CV_8UC3);
    const std::size_t row = out.cols * out.elemSize();
    for (int y = 0; y < out.rows; ++y) std::memcpy(out.ptr(y), frame_->data[0] + y * frame_->linesize[0], row);
    av_frame_unref(frame_);
    return true;
  }

 private:
  static constexpr int kTimeBase = 1000000;  // microseconds
  std::string subject_;
  bool gray_in_, gray_out_;
  AVFilterGraph* graph_ = nullptr;
  AVFilterContext* src_ = nullptr;
  AVFilterContext* sink_ = nullptr;
  AVFrame* frame_ = nullptr;
};

// A bounded single-producer single-consumer queue of decoded frames.
class FrameQueue {
 public:
  explicit FrameQueue(std::size_t capacity) : capacity_(capacity) {}
  // False when the consumer cancelled.
  bool push(video::Frame&& f) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return frames_.size() < capacity_ || cancelled_; });
    if (cancelled_) return false;
    frames_.push_back(std::move(f));
    not_empty_.notify_one();
    return true;
  }
  // False at the end (closed and empty).
  bool pop(video::Frame& f) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return !frames_.empty() || closed_; });
    if (frames_.empty()) return false;
    f = std::move(frames_.front());
    frames_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
  }
  void cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
    not_full_.notify_all();
  }

 private:
  std::size_t capacity_;
  std::deque<video::Frame> frames_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  bool closed_ = false, cancelled_ = false;
};

// The fps as a rational for the encoder: integers exactly, others to 1/1001 or 1/1000.
video::Rational to_rational(double fps) {
  if (std::fabs(fps - std::round(fps)) < 1e-9) return {static_cast<int>(std::round(fps)), 1};
  const double ntsc = fps * 1001 / 1000;
  if (std::fabs(ntsc - std::round(ntsc)) < 1e-6) return {static_cast<int>(std::round(ntsc)) * 1000, 1001};
  return {static_cast<int>(std::round(fps * 1000)), 1000};
}

json options_record(const PreprocessOptions& o, int w, int h, double fps) {
  return {{"fps", fps},         {"width", w},         {"height", h},          {"gray", o.gray},
          {"gamma", o.gamma},   {"brightness", o.brightness}, {"contrast", o.contrast},
          {"duration_s", o.duration_s}, {"codec", o.codec}, {"crf", o.crf}, {"preset", o.preset},
          {"filter", preprocess_filter_chain(o, w, h, fps)}};
}

// FNV-1a 64 of a text, hex: names outputs by their options.
std::string content_hash_of_text(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return fmt::format("{:016x}", h);
}

}  // namespace

std::int64_t preprocess_file(const fs::path& in, const fs::path& out, const PreprocessOptions& o, int width, int height,
                             double fps, const ProgressCallback& progress) {
  const std::string subject = "preprocess " + bt::quoted(in.string());
  video::ReaderOptions ro;
  // The reader hands over gray directly when the chain starts with format=gray.
  ro.output = o.gray ? video::PixelFormat::kGray : video::PixelFormat::kBgr;
  video::VideoReader reader(in, ro);
  const video::VideoInfo& info = reader.info();
  FilterGraph graph(subject, info.width, info.height, o.gray, preprocess_filter_chain(o, width, height, fps), o.gray);
  video::WriterOptions wo;
  wo.width = width;
  wo.height = height;
  wo.fps = to_rational(fps);
  wo.gray = o.gray;
  wo.codec = o.codec;
  wo.crf = o.crf;
  wo.preset = o.preset;
  video::VideoWriter writer(out, wo);
  const double duration = o.duration_s > 0 ? std::min(o.duration_s, info.duration_s) : info.duration_s;
  Progress bar("preprocess " + in.filename().string(), static_cast<std::int64_t>(std::ceil(duration * fps)), progress);
  // Decoding runs on its own thread, handing frames over through a small bounded queue,
  // while this thread filters and encodes: the two halves overlap as in the ffmpeg CLI,
  // whose decoder and encoder threads also run side by side.
  FrameQueue queue(8);
  std::exception_ptr decode_error;
  std::thread decoder([&] {
    try {
      video::Frame f;
      while (reader.read(f)) {
        if (o.duration_s > 0 && f.time_s >= o.duration_s) break;  // trim: keep t < duration
        if (!queue.push(std::move(f))) return;                     // the consumer stopped
        f = video::Frame();
      }
    } catch (...) {
      decode_error = std::current_exception();
    }
    queue.close();
  });
  double end_time_s = 0;
  const double frame_s = info.fps_value() > 0 ? 1.0 / info.fps_value() : 0.0;
  cv::Mat filtered;
  auto drain = [&] {
    while (graph.pull(filtered)) {
      writer.write(filtered);
      bar.advance();
    }
  };
  try {
    video::Frame f;
    while (queue.pop(f)) {
      graph.push(f.image, f.time_s);
      end_time_s = f.time_s + frame_s;
      drain();
    }
  } catch (...) {
    queue.cancel();
    decoder.join();
    throw;
  }
  decoder.join();
  if (decode_error) std::rethrow_exception(decode_error);
  graph.close(o.duration_s > 0 ? std::min(end_time_s, o.duration_s) : end_time_s);
  drain();
  writer.close();
  bar.finish();
  return writer.frames_written();
}

namespace {

// The project's original videos (not outputs of an earlier preprocess), all present.
std::vector<VideoRecord> source_videos(const Project& p) {
  std::vector<VideoRecord> sources;
  for (const VideoRecord& v : p.list_videos())
    if (!v.source_video_id) sources.push_back(v);
  if (sources.empty()) throw_invalid("preprocess: the project has no videos; add some with `behavtrack video add`");
  for (const VideoRecord& v : sources)
    if (v.missing) throw_not_found("video " + bt::quoted(v.path.string()) + ": file not found; use `behavtrack video relink`");
  return sources;
}

// The output format: the options, and where they are 0 the folder defaults (BehavTrack):
// the smallest rounded fps, the smallest width and height, made even for the encoder.
void choose_output_format(const std::vector<VideoRecord>& sources, const PreprocessOptions& o, PreprocessSummary& s) {
  s.fps = o.fps;
  s.width = o.width;
  s.height = o.height;
  for (const VideoRecord& v : sources) {
    if (o.fps == 0) s.fps = s.fps == 0 ? std::round(v.fps) : std::min(s.fps, std::round(v.fps));
    if (o.width == 0) s.width = s.width == 0 ? v.width : std::min(s.width, v.width);
    if (o.height == 0) s.height = s.height == 0 ? v.height : std::min(s.height, v.height);
  }
  s.width -= s.width % 2;
  s.height -= s.height % 2;
  if (!(s.fps > 0)) throw_invalid("preprocess: the videos report no frame rate; pass --fps");
}

struct PreprocessJob {
  VideoRecord source;
  fs::path out;
};

// The sources whose output under these options is not yet registered complete; counts the
// others in s.skipped.
std::vector<PreprocessJob> pending_jobs(const Project& p, const std::vector<VideoRecord>& sources,
                                        const std::string& options_hash, PreprocessSummary& s) {
  std::vector<PreprocessJob> jobs;
  const auto all = p.list_videos();
  for (const VideoRecord& v : sources) {
    const fs::path out = p.resolve("media/videos/" + v.path.stem().string() + "-" + options_hash + ".mp4");
    const bool done = std::any_of(all.begin(), all.end(), [&](const VideoRecord& r) {
      return r.source_video_id == v.id && !r.missing && r.path == out && r.n_frames > 0;
    });
    if (done)
      ++s.skipped;
    else
      jobs.push_back({v, out});
  }
  return jobs;
}

}  // namespace

PreprocessSummary preprocess_videos(Project& p, const PreprocessOptions& o, const ProgressCallback& progress) {
  o.validate();
  const std::vector<VideoRecord> sources = source_videos(p);
  PreprocessSummary s;
  choose_output_format(sources, o, s);
  const json record = options_record(o, s.width, s.height, s.fps);
  const std::string options_hash = content_hash_of_text(record.dump()).substr(0, 8);
  const std::vector<PreprocessJob> jobs = pending_jobs(p, sources, options_hash, s);
  fs::create_directories(p.resolve("media/videos"));
  std::atomic<std::size_t> next{0};
  std::mutex mutex;  // guards the Project and the error
  std::exception_ptr error;
  auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      try {
        const std::int64_t n = preprocess_file(jobs[i].source.path, jobs[i].out, o, s.width, s.height, s.fps, progress);
        VideoRecord out = describe_video_file(jobs[i].out);
        out.source_video_id = jobs[i].source.id;
        json rec = record;
        rec["source"] = p.to_stored_path(jobs[i].source.path);
        rec["source_hash"] = jobs[i].source.hash;
        rec["time_map"] = "source_time_s = frame / fps";
        out.options_json = rec.dump();
        std::lock_guard<std::mutex> lock(mutex);
        s.outputs.push_back(p.add_video(out));  // each output registered when complete
        ++s.videos;
        s.frames_out += n;
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        next = jobs.size();
      }
    }
  };
  const int n_threads = std::max(1, std::min<int>(o.jobs > 0 ? o.jobs : compute_threads(), static_cast<int>(jobs.size())));
  std::vector<std::thread> threads;
  for (int t = 0; t < n_threads; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  return s;
}

}  // namespace bt::project
