#include "behavtrack/pose/classical_detector.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "behavtrack/core/error.h"
#include "behavtrack/video/video_reader.h"

namespace bt::pose {

void ClassicalOptions::validate() const {
  if (n_animals < 0) throw_invalid(fmt::format("n_animals = {}: must be >= 0", n_animals));
  if (!(min_area_fraction > 0 && min_area_fraction < 0.5))
    throw_invalid(fmt::format("min_area_fraction = {}: must be in (0, 0.5)", min_area_fraction));
  if (!(min_contrast >= 1 && min_contrast < 255))
    throw_invalid(fmt::format("min_contrast = {}: must be in [1, 255)", min_contrast));
  if (!(shadow_max_fraction >= 0 && shadow_max_fraction < 1))
    throw_invalid(fmt::format("shadow_max_fraction = {}: must be in [0, 1)", shadow_max_fraction));
  if (!(motion_min_px >= 0))
    throw_invalid(fmt::format("motion_min_px = {}: must be >= 0", motion_min_px));
}

namespace {

// Grey levels by which the median background must differ from the floor model to hold a
// resting mouse (coats differ from floors by 50-170 levels; floor texture and shading by
// less once smoothed).
constexpr int kRestingContrast = 25;
// ... and by at least this much somewhere in the blob.
constexpr int kRestingPeak = 45;
// A blob takes one more mouse only while each part keeps this share of a mouse's area.
constexpr double kMinSplitShare = 0.6;

cv::Mat to_gray(const cv::Mat& image) {
  if (image.type() == CV_8UC1) return image;
  if (image.type() != CV_8UC3) throw_invalid("classical detector: expected an 8-bit image");
  cv::Mat g;
  cv::cvtColor(image, g, cv::COLOR_BGR2GRAY);
  return g;
}

cv::Mat disc(int diameter) {
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(diameter, diameter));
}

// ---- background ---------------------------------------------------------------------------

// The floor as a slowly varying surface: a median filter about a third of the short side
// wide (mice cover well under half of such a window), computed at a quarter of the size.
// ref: S. R. Sternberg, "Biomedical image processing", Computer 16(1), 1983 (rolling-ball
// background); large-window median filters are the robust variant used in microscopy.
cv::Mat floor_model(const cv::Mat& median) {
  constexpr int kShrink = 4;
  cv::Mat small, floor;
  cv::resize(median, small, cv::Size(std::max(1, median.cols / kShrink), std::max(1, median.rows / kShrink)),
             0, 0, cv::INTER_AREA);
  const int kernel = std::min(255, (std::min(small.cols, small.rows) / 3) | 1);
  cv::medianBlur(small, floor, std::max(3, kernel));
  cv::resize(floor, floor, median.size(), 0, 0, cv::INTER_LINEAR);
  return floor;
}

// Deviations of at least kRestingContrast from `reference`, without thin structures (floor
// texture such as bedding chips, tails, the walls' seams: thinner than the disc).
cv::Mat compact_deviations(const cv::Mat& image, const cv::Mat& reference) {
  cv::Mat diff, odd;
  cv::absdiff(image, reference, diff);
  cv::threshold(diff, odd, kRestingContrast, 255, cv::THRESH_BINARY);
  const int d = std::max(3, (std::min(image.cols, image.rows) / 60) | 1);  // 9 px at 480 rows
  cv::morphologyEx(odd, odd, cv::MORPH_OPEN, disc(d));
  cv::morphologyEx(odd, odd, cv::MORPH_CLOSE, disc(d));
  return odd;
}

// Pixels of the median that hold a resting mouse: compact deviations from the floor model
// the size of one to a few mice (0.2% to 8% of the image: a mouse is about 1.5% of an
// open-field view), grown by half a body width to take the soft body edge and the shadow.
// Walls span the image and fail the size test.
cv::Mat resting_mask(const cv::Mat& median, const cv::Mat& floor) {
  const int small_side = std::min(median.cols, median.rows);
  const double image_area = static_cast<double>(median.total());
  const double area_min = 0.002 * image_area, area_max = 0.08 * image_area;
  cv::Mat labels, stats, centroids, diff;
  const int n = cv::connectedComponentsWithStats(compact_deviations(median, floor), labels, stats, centroids, 8, CV_32S);
  // A coat differs from the floor by 50 grey levels or more somewhere; the shading of
  // corners and walls, which the floor model follows less well, by less.
  cv::absdiff(median, floor, diff);
  std::vector<int> peak(n, 0);
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x) {
      int& p = peak[labels.at<int>(y, x)];
      p = std::max(p, static_cast<int>(diff.at<uchar>(y, x)));
    }
  std::vector<uchar> keep(n, 0);
  for (int i = 1; i < n; ++i) {
    const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    const double area = stats.at<int>(i, cv::CC_STAT_AREA);
    keep[i] = area >= area_min && area <= area_max && std::max(w, h) <= small_side / 2 &&
              area >= 0.2 * w * h && peak[i] >= kRestingPeak;
  }
  cv::Mat mask(median.size(), CV_8U);
  for (int y = 0; y < mask.rows; ++y)
    for (int x = 0; x < mask.cols; ++x) mask.at<uchar>(y, x) = keep[labels.at<int>(y, x)] ? 255 : 0;
  cv::dilate(mask, mask, disc((small_side / 20) | 1));
  return mask;
}

// Inside a resting mouse, where the median is off the floor model, the samples that agree
// with the floor (within kRestingContrast) show the floor while the mouse was away: their
// median replaces the median when at least two do, else the floor model (the mouse never
// left). Outside, only where the median is as far off as a coat (kRestingPeak) and at least
// a quarter of the samples agree with the floor (a mouse that rested through most samples
// but moved a little); real floors have texture and lighting that a smooth model does not
// follow, so nothing else changes.
// One colour plane: `median` and `samples` are CV_8UC1.
void restore_resting_floor(cv::Mat& median, const std::vector<cv::Mat>& samples, const cv::Mat& resting) {
  const cv::Mat floor = floor_model(median);
  const size_t quarter = std::max<size_t>(2, (samples.size() + 3) / 4);
  std::vector<uchar> agree;
  for (int y = 0; y < median.rows; ++y)
    for (int x = 0; x < median.cols; ++x) {
      const int f = floor.at<uchar>(y, x), off = std::abs(median.at<uchar>(y, x) - f);
      const bool in_rest = resting.at<uchar>(y, x) != 0;
      if (off < (in_rest ? kRestingContrast : kRestingPeak)) continue;
      agree.clear();
      for (const auto& g : samples)
        if (std::abs(g.at<uchar>(y, x) - f) < kRestingContrast) agree.push_back(g.at<uchar>(y, x));
      if (agree.size() >= (in_rest ? 2 : quarter)) {
        std::nth_element(agree.begin(), agree.begin() + agree.size() / 2, agree.end());
        median.at<uchar>(y, x) = agree[agree.size() / 2];
      } else if (in_rest) {
        median.at<uchar>(y, x) = static_cast<uchar>(f);
      }
    }
}

// Per-pixel median of CV_8UC1 planes of one size.
cv::Mat median_of(const std::vector<cv::Mat>& planes) {
  cv::Mat out(planes[0].size(), CV_8UC1);
  std::vector<uchar> values(planes.size());
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x) {
      for (size_t i = 0; i < planes.size(); ++i) values[i] = planes[i].at<uchar>(y, x);
      std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
      out.at<uchar>(y, x) = values[values.size() / 2];
    }
  return out;
}

}  // namespace

cv::Mat median_background(const std::vector<cv::Mat>& frames) {
  if (frames.empty()) throw_invalid("background: no frames to build it from");
  bool colour = true;
  std::vector<cv::Mat> gray;
  for (const auto& f : frames) {
    gray.push_back(to_gray(f));
    colour = colour && f.type() == CV_8UC3;
    if (gray.back().size() != gray.front().size())
      throw_invalid("background: frames differ in size");
  }
  std::vector<std::vector<cv::Mat>> planes(colour ? 3 : 1);
  for (size_t i = 0; i < frames.size(); ++i) {
    if (!colour) {
      planes[0].push_back(gray[i]);
      continue;
    }
    std::vector<cv::Mat> bgr;
    cv::split(frames[i], bgr);
    for (int c = 0; c < 3; ++c) planes[c].push_back(bgr[c]);
  }
  std::vector<cv::Mat> medians;
  for (const auto& p : planes) medians.push_back(median_of(p));
  cv::Mat out;
  cv::merge(medians, out);
  if (std::min(out.cols, out.rows) < 64) return out;  // too small for a floor model
  const cv::Mat gray_median = to_gray(out).clone();
  const cv::Mat resting = resting_mask(gray_median, floor_model(gray_median));
  for (size_t c = 0; c < planes.size(); ++c) restore_resting_floor(medians[c], planes[c], resting);
  cv::merge(medians, out);
  return out;
}

cv::Mat video_background(const std::filesystem::path& video, int n_samples) {
  if (n_samples < 1)
    throw_invalid(fmt::format("background: n_samples = {}: must be >= 1", n_samples));
  video::VideoReader reader(video);
  const std::int64_t n = reader.info().n_frames;
  if (n < 1) throw_invalid("video " + quoted(video.string()) + ": no frames to build a background from");
  const std::int64_t k = std::min<std::int64_t>(n_samples, n);
  // Frame (i + 1/2) n / k: the middle of each of k equal stretches of the video.
  std::vector<cv::Mat> samples;
  for (std::int64_t i = 0; i < k; ++i) samples.push_back(reader.frame((2 * i + 1) * n / (2 * k)));
  return median_background(samples);
}

namespace {

// ---- segmentation -------------------------------------------------------------------------

// Frame-to-background gain as a smooth field: lamps flicker, cameras adjust their exposure
// and daylight moves across a real arena (a 7% drift on a floor at 190 is 13 grey levels,
// most of the contrast of a white coat's edge). The median ratio frame / background in
// cells of 32 x 32 px, over the pixels within 15% of 1 (mice differ more and stay out),
// cells with too few such pixels taking the median over the whole frame; then a 5 x 5
// median across cells (for the cells mostly covered by white fur) and a bilinear upsampling.
cv::Mat illumination_gain(const cv::Mat& gray, const cv::Mat& background) {
  constexpr int kCell = 32;
  constexpr float kMaxChange = 0.15f;
  const int cols = (gray.cols + kCell - 1) / kCell, rows = (gray.rows + kCell - 1) / kCell;
  cv::Mat cells(rows, cols, CV_32F, cv::Scalar(0));
  cv::Mat known(rows, cols, CV_8U, cv::Scalar(0));
  std::vector<float> all, cell;
  for (int cy = 0; cy < rows; ++cy)
    for (int cx = 0; cx < cols; ++cx) {
      cell.clear();
      for (int y = cy * kCell; y < std::min(gray.rows, (cy + 1) * kCell); y += 2)
        for (int x = cx * kCell; x < std::min(gray.cols, (cx + 1) * kCell); x += 2) {
          const float b = background.at<float>(y, x);
          const float r = gray.at<uchar>(y, x) / std::max(b, 16.0f);
          if (std::abs(r - 1) <= kMaxChange) cell.push_back(r);
        }
      all.insert(all.end(), cell.begin(), cell.end());
      if (cell.size() < 32) continue;  // an eighth of the cell's samples
      std::nth_element(cell.begin(), cell.begin() + cell.size() / 2, cell.end());
      cells.at<float>(cy, cx) = cell[cell.size() / 2];
      known.at<uchar>(cy, cx) = 1;
    }
  float global = 1;
  if (!all.empty()) {
    std::nth_element(all.begin(), all.begin() + all.size() / 2, all.end());
    global = all[all.size() / 2];
  }
  cells.setTo(global, known == 0);
  if (rows >= 5 && cols >= 5) cv::medianBlur(cells, cells, 5);
  cv::Mat gain;
  cv::resize(cells, gain, gray.size(), 0, 0, cv::INTER_LINEAR);
  return gain;
}

// Hysteresis thresholding: the connected regions of value > low that hold a strong pixel
// (ref: J. Canny, IEEE PAMI 8(6), 1986, sec. 4), then closed and opened so that thin
// shadows and noise go and small holes close.
cv::Mat hysteresis(const cv::Mat& value, const cv::Mat& seeds, double low) {
  const cv::Mat weak = value > low;
  // Seeds are wider than a mouse's eye or a speck of noise.
  cv::Mat strong;
  cv::morphologyEx(seeds, strong, cv::MORPH_OPEN, disc(7));
  cv::Mat labels;
  const int n = cv::connectedComponents(weak, labels, 8, CV_32S);
  std::vector<uchar> seeded(n, 0);
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x)
      if (strong.at<uchar>(y, x)) seeded[labels.at<int>(y, x)] = 255;
  seeded[0] = 0;
  cv::Mat mask(value.size(), CV_8U);
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x) mask.at<uchar>(y, x) = seeded[labels.at<int>(y, x)];
  cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, disc(5));
  cv::morphologyEx(mask, mask, cv::MORPH_OPEN, disc(3));
  return mask;
}

// A connected piece of foreground: its box in the frame and its filled mask inside the box.
struct Blob {
  cv::Rect roi;
  cv::Mat mask;  // CV_8U, roi.size()
  int area = 0;  // pixels of the body (tail excluded)
};

void collect_blobs(const cv::Mat& mask, double min_area, std::vector<Blob>& out) {
  const int thin_px = std::max(3, (std::min(mask.cols, mask.rows) / 50) | 1);  // 9 px at 480 rows
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  for (const auto& c : contours) {
    if (cv::contourArea(c) < min_area) continue;
    Blob b;
    b.roi = cv::boundingRect(c);
    b.mask = cv::Mat::zeros(b.roi.size(), CV_8U);
    cv::drawContours(b.mask, std::vector<std::vector<cv::Point>>{c}, 0, cv::Scalar(255),
                     cv::FILLED, cv::LINE_8, cv::noArray(), INT_MAX, -b.roi.tl());
    // Area without the tail and thin shadows, for counting mice.
    cv::Mat body;
    cv::morphologyEx(b.mask, body, cv::MORPH_OPEN, disc(thin_px));
    b.area = cv::countNonZero(body);
    out.push_back(std::move(b));
  }
}

// ---- touching mice ------------------------------------------------------------------------

// How many mice each blob holds: one for each blob of at least kMinSplitShare of a mouse's
// area (smaller ones, such as a mouse half hidden or a speck, stay detections of their own
// but count for no mouse), then each further mouse to the blob with the largest area per
// mouse (D'Hondt's highest-averages rule), while that blob's parts would keep at least
// kMinSplitShare of a mouse's area.
std::vector<int> mice_per_blob(const std::vector<Blob>& blobs, int n_animals, double mouse_area_px) {
  std::vector<int> k(blobs.size(), 1);
  int counted = 0;
  for (size_t i = 0; i < blobs.size(); ++i)
    if (blobs[i].area >= kMinSplitShare * mouse_area_px) ++counted;
  for (; counted < n_animals && !blobs.empty(); ++counted) {
    size_t best = 0;
    double best_share = -1;
    for (size_t i = 0; i < blobs.size(); ++i) {
      const double share = blobs[i].area / (k[i] + 1.0);
      if (share > best_share) best_share = share, best = i;
    }
    if (best_share < kMinSplitShare * mouse_area_px) break;
    ++k[best];
  }
  return k;
}

// Splits a blob into k parts by k-means on its pixel positions.
std::vector<Blob> split_blob(const Blob& blob, int k) {
  if (k <= 1) return {blob};
  std::vector<cv::Point> pts;
  cv::findNonZero(blob.mask, pts);
  if (static_cast<int>(pts.size()) < k) return {blob};
  cv::Mat samples(static_cast<int>(pts.size()), 2, CV_32F);
  for (int i = 0; i < samples.rows; ++i) {
    samples.at<float>(i, 0) = static_cast<float>(pts[i].x);
    samples.at<float>(i, 1) = static_cast<float>(pts[i].y);
  }
  cv::Mat labels, centers;
  cv::setRNGSeed(1);  // deterministic splits
  cv::kmeans(samples, k, labels,
             cv::TermCriteria(cv::TermCriteria::EPS | cv::TermCriteria::COUNT, 20, 0.5), 3,
             cv::KMEANS_PP_CENTERS, centers);
  std::vector<cv::Mat> masks(k);
  for (auto& m : masks) m = cv::Mat::zeros(blob.mask.size(), CV_8U);
  for (int i = 0; i < samples.rows; ++i) masks[labels.at<int>(i)].at<uchar>(pts[i]) = 255;
  std::vector<Blob> parts;
  for (const auto& m : masks) {
    const cv::Rect r = cv::boundingRect(m);
    if (r.area() == 0) continue;
    Blob p;
    p.roi = r + blob.roi.tl();
    p.mask = m(r).clone();
    p.area = cv::countNonZero(p.mask);
    parts.push_back(std::move(p));
  }
  return parts;
}
// Shape of one body, the axis pointing to the end that the shape says is anterior.
struct BodyShape {
  cv::Point2d center, axis;   // axis: unit vector
  double t_front = 0, t_back = 0;  // projections of the extreme body pixels (front > back)
  std::vector<cv::Point2d> pixels;  // body pixels (tail removed)
  double head_margin = 0;     // [0, 1]: how sure the shape is of the anterior end
  double elongation = 1;      // major / minor standard deviation
  double area = 0;
  Box box;
};

double half_width_at(const BodyShape& s, cv::Point2d axis, double t, double band) {
  const cv::Point2d side(-axis.y, axis.x);
  double w = 0;
  for (const auto& p : s.pixels) {
    const cv::Point2d d = p - s.center;
    if (std::abs(d.dot(axis) - t) <= band) w = std::max(w, std::abs(d.dot(side)));
  }
  return w;
}

BodyShape analyse_blob(const cv::Mat& blob_mask, cv::Rect roi) {
  BodyShape s;
  cv::Mat dist;
  cv::distanceTransform(blob_mask, dist, cv::DIST_L2, 3);
  double half_width = 0;
  cv::minMaxLoc(dist, nullptr, &half_width);
  // The tail is a few pixels wide, the body 2 x half_width: an opening with a disc of about
  // half the body's half width removes the tail and keeps the body.
  const int k = std::max(3, static_cast<int>(half_width) | 1);
  cv::Mat body;
  cv::morphologyEx(blob_mask, body, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(k, k)));
  if (cv::countNonZero(body) < 0.3 * cv::countNonZero(blob_mask)) body = blob_mask.clone();
  std::vector<cv::Point2d> removed;
  for (int y = 0; y < body.rows; ++y)
    for (int x = 0; x < body.cols; ++x) {
      const cv::Point2d p(x + roi.x, y + roi.y);
      if (body.at<uchar>(y, x)) s.pixels.push_back(p);
      else if (blob_mask.at<uchar>(y, x)) removed.push_back(p);
    }
  s.area = static_cast<double>(s.pixels.size());
  // PCA of the body pixels: the major axis is the body axis.
  cv::Point2d mean(0, 0);
  for (const auto& p : s.pixels) mean += p;
  mean *= 1.0 / std::max<size_t>(1, s.pixels.size());
  double sxx = 0, syy = 0, sxy = 0;
  for (const auto& p : s.pixels) {
    const cv::Point2d d = p - mean;
    sxx += d.x * d.x, syy += d.y * d.y, sxy += d.x * d.y;
  }
  const double theta = 0.5 * std::atan2(2 * sxy, sxx - syy);
  cv::Point2d axis(std::cos(theta), std::sin(theta));
  const double tr = sxx + syy, det = sxx * syy - sxy * sxy;
  const double l1 = tr / 2 + std::sqrt(std::max(0.0, tr * tr / 4 - det));
  const double l2 = tr / 2 - std::sqrt(std::max(0.0, tr * tr / 4 - det));
  s.elongation = std::sqrt(l1 / std::max(1e-9, l2));
  s.center = mean;
  s.axis = axis;
  double tmin = 0, tmax = 0;
  double x1 = 1e18, y1 = 1e18, x2 = -1e18, y2 = -1e18;
  for (const auto& p : s.pixels) {
    const double t = (p - mean).dot(axis);
    tmin = std::min(tmin, t), tmax = std::max(tmax, t);
    x1 = std::min(x1, p.x), y1 = std::min(y1, p.y), x2 = std::max(x2, p.x + 1),
    y2 = std::max(y2, p.y + 1);
  }
  s.box = {x1, y1, x2, y2};
  const double length = tmax - tmin;
  // Anterior cues: the snout tapers (narrower 12% from its tip than the hips are 12% from
  // theirs), and the removed tail pixels lie at the posterior end.
  const double band = std::max(1.5, 0.04 * length);
  const double w_plus = half_width_at(s, axis, tmax - 0.12 * length, band);
  const double w_minus = half_width_at(s, axis, tmin + 0.12 * length, band);
  double tail_plus = 0, tail_minus = 0;
  for (const auto& p : removed) {
    const double t = (p - mean).dot(axis);
    if (t > tmax - 0.3 * length) tail_plus += 1;
    if (t < tmin + 0.3 * length) tail_minus += 1;
  }
  const double taper = (w_minus - w_plus) / std::max(1.0, std::max(w_plus, w_minus));
  const double tail = (tail_minus - tail_plus) / std::max(10.0, tail_minus + tail_plus);
  const double cue = taper + tail;  // > 0: the + end is anterior
  if (cue < 0) {
    s.axis = -axis;
    std::swap(tmin, tmax);
    tmin = -tmin, tmax = -tmax;
  }
  s.t_front = tmax;
  s.t_back = tmin;
  s.head_margin = std::min(1.0, std::abs(cue));
  return s;
}

BodyShape flipped(const BodyShape& s) {
  BodyShape f = s;
  f.axis = -s.axis;
  f.t_front = -s.t_back;
  f.t_back = -s.t_front;
  return f;
}

Instance to_instance(const BodyShape& s, double median_area, double head_margin) {
  Instance inst;
  inst.box = s.box;
  const double length = s.t_front - s.t_back;
  const cv::Point2d left(s.axis.y, -s.axis.x);  // heading (1, 0) -> left (0, -1)
  const cv::Point2d nose = s.center + s.axis * s.t_front;
  const cv::Point2d tail = s.center + s.axis * (s.t_back + 0.03 * length);
  const double t_ears = s.t_front - 0.22 * length;
  const double ear_offset =
      0.6 * half_width_at(s, s.axis, t_ears, std::max(1.5, 0.04 * length));
  const cv::Point2d ears = s.center + s.axis * t_ears;
  const cv::Point2d ear_l = ears + left * ear_offset, ear_r = ears - left * ear_offset;
  const float end_score = static_cast<float>(0.5 + 0.5 * head_margin);
  const float ear_score = static_cast<float>(0.5 * end_score);
  for (const auto& [p, score] : {std::pair{nose, end_score}, std::pair{ear_l, ear_score},
                                 std::pair{ear_r, ear_score}, std::pair{tail, end_score}}) {
    inst.keypoints.push_back({p.x, p.y, score >= 0.5f ? Visibility::kVisible
                                                      : Visibility::kOccluded});
    inst.keypoint_scores.push_back(score);
  }
  // A mouse seen from above is 2-3.5 times as long as wide, and about as large as the others.
  const double shape = std::clamp((s.elongation - 1.0) / 1.5, 0.0, 1.0);
  const double size = median_area > 0 ? std::min(s.area, median_area) / std::max(s.area, median_area)
                                      : 1.0;
  inst.score = static_cast<float>(0.2 + 0.8 * std::sqrt(shape * size));
  return inst;
}


// Video: the orientation that agrees with the previous heading of the nearest blob and with
// the direction of motion.
void orient_by_history(BodyShape& s, const std::vector<cv::Point2d>& prev_centers,
                       const std::vector<cv::Point2d>& prev_headings, double motion_min_px) {
  const cv::Point2d* prev = nullptr;
  const cv::Point2d* prev_c = nullptr;
  double best = 1e18;
  for (size_t i = 0; i < prev_centers.size(); ++i) {
    const double d = cv::norm(prev_centers[i] - s.center);
    if (d < best && d < (s.t_front - s.t_back)) best = d, prev = &prev_headings[i], prev_c = &prev_centers[i];
  }
  if (!prev) return;
  double vote = 2 * s.head_margin + 1.5 * s.axis.dot(*prev);
  const cv::Point2d motion = s.center - *prev_c;
  if (cv::norm(motion) >= motion_min_px) vote += 1.0 * s.axis.dot(motion / cv::norm(motion));
  if (vote < 0) s = flipped(s);
}
}  // namespace

struct ClassicalDetector::Segmentation {
  cv::Mat light, dark;  // CV_8U masks: brighter / darker than the floor
  cv::Mat contrast;     // CV_32F: |frame - gain x background|, grey levels
};

ClassicalDetector::ClassicalDetector(ClassicalOptions options) : options_(options) {
  options_.validate();
}

void ClassicalDetector::set_background(const cv::Mat& background) {
  to_gray(background).convertTo(background_gray_, CV_32F);
  if (background.type() == CV_8UC3) background.convertTo(background_, CV_32FC3);
  else background_ = background_gray_;
  prev_centers_.clear();
  prev_headings_.clear();
  mouse_area_px_ = 0;
}

ClassicalDetector::Segmentation ClassicalDetector::segment(const cv::Mat& frame) const {
  if (background_.empty()) throw_invalid("classical detector: no background set");
  const cv::Mat gray = to_gray(frame);
  if (gray.size() != background_.size())
    throw_invalid(fmt::format("classical detector: frame {}x{} differs from the background {}x{}",
                              gray.cols, gray.rows, background_.cols, background_.rows));
  const cv::Mat gain = illumination_gain(gray, background_gray_);
  const cv::Mat expected = background_gray_.mul(gain);
  cv::Mat diff;  // d = frame - gain x background, grey (gain per pixel)
  gray.convertTo(diff, CV_32F);
  diff -= expected;
  cv::GaussianBlur(diff, diff, cv::Size(5, 5), 0);
  // Light coats: the largest excess over the channels (a white mouse's edge and head are
  // floor-grey but pinkish: red stands out where grey does not).
  cv::Mat light_diff = diff;
  if (frame.type() == CV_8UC3 && background_.channels() == 3) {
    cv::Mat colour_diff;
    frame.convertTo(colour_diff, CV_32FC3);
    cv::Mat gain3;
    cv::merge(std::vector<cv::Mat>{gain, gain, gain}, gain3);
    colour_diff -= background_.mul(gain3);
    cv::GaussianBlur(colour_diff, colour_diff, cv::Size(5, 5), 0);
    std::vector<cv::Mat> c;
    cv::split(colour_diff, c);
    light_diff = cv::max(c[0], cv::max(c[1], c[2]));
  }
  const double high = options_.min_contrast, low = 0.5 * options_.min_contrast;
  Segmentation s;
  s.contrast = cv::abs(diff);
  s.light = hysteresis(light_diff, diff > high, low);
  // Shadows darken the floor too (a white mouse casts a dark rim): dark coats are seeded only
  // where darker than any shadow, then grown like the light ones.
  const cv::Mat dark_seeds = (diff < -high) & (diff < -options_.shadow_max_fraction * expected);
  s.dark = hysteresis(-diff, dark_seeds, low);
  return s;
}

cv::Mat ClassicalDetector::foreground(const cv::Mat& frame) const {
  const Segmentation s = segment(frame);
  return s.light | s.dark;
}

std::vector<Instance> ClassicalDetector::detect(const cv::Mat& frame) const {
  return detect_impl(frame, 0, nullptr, false);
}

std::vector<Instance> ClassicalDetector::detect_impl(const cv::Mat& frame, double mouse_area_px,
                                                     std::vector<double>* apart_areas,
                                                     bool use_headings) const {
  const Segmentation seg = segment(frame);
  const double min_area = options_.min_area_fraction * static_cast<double>(frame.total());
  std::vector<Blob> blobs;
  collect_blobs(seg.light, min_area, blobs);
  collect_blobs(seg.dark, min_area, blobs);
  const int n = options_.n_animals;
  if (n > 0 && static_cast<int>(blobs.size()) == n && apart_areas)
    for (const auto& b : blobs) apart_areas->push_back(b.area);
  if (n > 0 && static_cast<int>(blobs.size()) < n) {
    double total = 0;
    for (const auto& b : blobs) total += b.area;
    const std::vector<int> k = mice_per_blob(blobs, n, mouse_area_px > 0 ? mouse_area_px : total / n);
    std::vector<Blob> parts;
    for (size_t i = 0; i < blobs.size(); ++i)
      for (auto& p : split_blob(blobs[i], k[i])) parts.push_back(std::move(p));
    blobs = std::move(parts);
  }
  std::vector<BodyShape> shapes;
  std::vector<double> contrasts;  // mean grey-level contrast of each blob
  for (const auto& b : blobs) {
    shapes.push_back(analyse_blob(b.mask, b.roi));
    contrasts.push_back(cv::mean(seg.contrast(b.roi), b.mask)[0]);
  }
  std::vector<double> areas;
  for (const auto& s : shapes) areas.push_back(s.area);
  double median_area = 0;
  if (!areas.empty()) {
    std::nth_element(areas.begin(), areas.begin() + areas.size() / 2, areas.end());
    median_area = areas[areas.size() / 2];
  }
  // Above the known count, the blobs that look least like mice go: shape and size (the
  // score) times contrast (a change of lighting on a real floor differs by 20-30 grey
  // levels, a coat by 40 to 180).
  std::vector<std::pair<double, Instance>> ranked;
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (use_headings) orient_by_history(shapes[i], prev_centers_, prev_headings_, options_.motion_min_px);
    Instance inst = to_instance(shapes[i], median_area, shapes[i].head_margin);
    ranked.emplace_back(inst.score * contrasts[i], std::move(inst));
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  if (n > 0 && static_cast<int>(ranked.size()) > n) ranked.resize(n);
  std::vector<Instance> out;
  for (auto& r : ranked) out.push_back(std::move(r.second));
  return out;
}

std::vector<Instance> ClassicalDetector::track(const cv::Mat& frame) {
  std::vector<double> apart_areas;
  std::vector<Instance> found = detect_impl(frame, mouse_area_px_, &apart_areas, true);
  if (!apart_areas.empty()) {
    // Running mean over about the last 50 frames with all mice apart.
    double mean = 0;
    for (double a : apart_areas) mean += a / static_cast<double>(apart_areas.size());
    mouse_area_px_ = mouse_area_px_ > 0 ? 0.98 * mouse_area_px_ + 0.02 * mean : mean;
  }
  prev_centers_.clear();
  prev_headings_.clear();
  for (const auto& inst : found) {
    const cv::Point2d nose(inst.keypoints[0].x, inst.keypoints[0].y);
    const cv::Point2d tail(inst.keypoints[3].x, inst.keypoints[3].y);
    const cv::Point2d axis = nose - tail;
    const double norm = cv::norm(axis);
    prev_centers_.push_back((nose + tail) * 0.5);
    prev_headings_.push_back(norm > 0 ? axis / norm : cv::Point2d(1, 0));
  }
  return found;
}

}  // namespace bt::pose
