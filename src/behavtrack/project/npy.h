// Minimal NumPy .npy reading and writing (format versions 1-3, little-endian, C order) for
// the ids/boxes/keypoints arrays of the Behavioural Mouse Dataset layout. Private to
// bt_project. ref: numpy.lib.format (NEP 1).
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace bt::project::npy {

struct Array {
  std::vector<std::int64_t> shape;
  std::vector<double> values;  // converted to double, C order
  std::string descr;           // as in the file, e.g. "<f8"
  std::int64_t size() const;
  std::string shape_str() const;  // "(10, 5, 4)"
};

// Throws bt::Error naming the file: not an .npy, unsupported dtype, Fortran order, short data.
Array read(const std::filesystem::path& path);
// Writes '<f8' (or '<i8' when `integer`) in C order.
void write(const std::filesystem::path& path, const Array& array, bool integer);

}  // namespace bt::project::npy
