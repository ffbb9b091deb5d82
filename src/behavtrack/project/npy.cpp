#include "behavtrack/project/npy.h"

#include <cstring>
#include <fstream>
#include <map>
#include <regex>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"

namespace bt::project::npy {
namespace fs = std::filesystem;

std::int64_t Array::size() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string Array::shape_str() const {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

namespace {

template <typename T>
void convert(const std::string& raw, std::vector<double>& out) {
  const std::size_t n = raw.size() / sizeof(T);
  out.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(v);
  }
}

// The element types read, by the descr's type code: item size and converter.
struct ElementType {
  std::size_t size;
  void (*convert)(const std::string& raw, std::vector<double>& out);
};
const std::map<std::string, ElementType> kElementTypes = {
    {"f8", {8, convert<double>}},        {"f4", {4, convert<float>}},         {"i8", {8, convert<std::int64_t>}},
    {"i4", {4, convert<std::int32_t>}},  {"i2", {2, convert<std::int16_t>}},  {"i1", {1, convert<std::int8_t>}},
    {"u1", {1, convert<std::uint8_t>}},  {"b1", {1, convert<std::uint8_t>}},  {"u2", {2, convert<std::uint16_t>}},
    {"u4", {4, convert<std::uint32_t>}}};

}  // namespace

Array read(const fs::path& path) {
  const std::string subject = "npy " + bt::quoted(path.string());
  const std::string bytes = read_file(path);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw_invalid(subject + ": not a NumPy .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw_invalid(subject + ": truncated header");
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    throw_invalid(subject + ": unsupported .npy version " + std::to_string(major));
  }
  if (bytes.size() < offset + header_len) throw_invalid(subject + ": truncated header");
  const std::string header = bytes.substr(offset, header_len);
  std::smatch m;
  Array a;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']+)')"))) throw_invalid(subject + ": header has no descr");
  a.descr = m[1];
  if (std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*True)")))
    throw_invalid(subject + ": Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) throw_invalid(subject + ": header has no shape");
  const std::string dims = m[1];
  const std::string raw = bytes.substr(offset + header_len);
  // Each dimension, and their product, checked against the data actually present: a
  // crafted shape must not overflow the element count.
  const std::regex number(R"(\d+)");
  std::size_t count = 1;
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) {
    const std::string text = it->str();
    const auto dim = text.size() > 18 ? raw.size() + 1 : static_cast<std::size_t>(std::stoll(text));
    if (dim > raw.size()) throw_invalid(subject + ": shape dimension " + text + " is larger than the file's data");
    a.shape.push_back(static_cast<std::int64_t>(dim));
    count = dim == 0 || count == 0 ? 0 : (count > raw.size() / dim ? raw.size() + 1 : count * dim);
  }
  const std::string& d = a.descr;
  const bool little = d[0] == '<' || d[0] == '|' || d[0] == '=';
  const auto type = kElementTypes.find(d.substr(1));
  if (!little || d.size() < 3 || type == kElementTypes.end())
    throw_invalid(subject + ": dtype " + d + " not supported (little-endian float32/64 or integers)");
  if (count > raw.size())
    throw_invalid(subject + ": shape " + a.shape_str() + " needs more data than the file holds; is the file truncated?");
  const std::size_t need = count * type->second.size;
  if (raw.size() < need)
    throw_invalid(subject + ": data holds " + std::to_string(raw.size()) + " bytes, shape " + a.shape_str() + " needs " +
                  std::to_string(need) + "; is the file truncated?");
  type->second.convert(raw.substr(0, need), a.values);
  return a;
}

void write(const fs::path& path, const Array& a, bool integer) {
  std::string header = std::string("{'descr': '") + (integer ? "<i8" : "<f8") + "', 'fortran_order': False, 'shape': " +
                       a.shape_str() + ", }";
  // Pad so that the data starts at a multiple of 64 bytes, header ending in '\n'.
  const std::size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  for (double v : a.values) {
    char buf[8];
    if (integer) {
      const std::int64_t i = static_cast<std::int64_t>(v);
      std::memcpy(buf, &i, 8);
    } else {
      std::memcpy(buf, &v, 8);
    }
    out.append(buf, 8);
  }
  write_file_atomically(path, out);
}

}  // namespace bt::project::npy
