#include "behavtrack/behavior/csv_util.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "behavtrack/core/error.h"

namespace bt::behavior {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  for (auto& f : out) {
    const auto b = f.find_first_not_of(" \t"), e = f.find_last_not_of(" \t");
    f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
  }
  return out;
}

CsvReader::CsvReader(const std::filesystem::path& path) : name_(quoted(path.string())) {
  if (!std::filesystem::exists(path)) throw_not_found(name_ + ": no such file");
  in_.open(path);
  if (!in_) throw_io(name_ + ": cannot open for reading");
  std::string line;
  while (std::getline(in_, line)) {
    ++line_;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    header_ = split_csv_line(line);
    return;
  }
  throw_invalid(name_ + ": empty file; expected a header row");
}

int CsvReader::find_column(const std::string& name) const {
  const auto it = std::find(header_.begin(), header_.end(), name);
  return it == header_.end() ? -1 : static_cast<int>(it - header_.begin());
}

int CsvReader::column(const std::string& name) const {
  const int c = find_column(name);
  if (c < 0) throw_invalid(name_ + ": no column " + quoted(name) + " in the header");
  return c;
}

bool CsvReader::next() {
  std::string line;
  while (std::getline(in_, line)) {
    ++line_;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    row_ = split_csv_line(line);
    if (row_.size() < header_.size()) {
      throw_invalid(where() + ": " + std::to_string(row_.size()) + " fields, the header has " +
                    std::to_string(header_.size()));
    }
    return true;
  }
  return false;
}

std::string CsvReader::where() const { return name_ + " line " + std::to_string(line_); }

const std::string& CsvReader::field(int column) const { return row_.at(static_cast<std::size_t>(column)); }

long long CsvReader::integer(int column, const char* what) const {
  const std::string& s = field(column);
  long long v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    throw_invalid(where() + ": " + what + " " + quoted(s) + " is not an integer");
  return v;
}

double CsvReader::number(int column, const char* what) const {
  const std::string& s = field(column);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v))
    throw_invalid(where() + ": " + what + " " + quoted(s) + " is not a finite number");
  return v;
}

}  // namespace bt::behavior
