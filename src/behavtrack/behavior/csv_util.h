// A small strict CSV reader for the behaviour tables (labels, tracks.csv): a header row,
// comma-separated fields without quoting, numbers parsed strictly.
// Private to the behavior library. Thread safety: one reader per thread.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace bt::behavior {

class CsvReader {
 public:
  explicit CsvReader(const std::filesystem::path& path);
  // Index of the header column `name`; throws bt::Error naming the file when absent.
  int column(const std::string& name) const;
  // Index of the header column `name`, or -1.
  int find_column(const std::string& name) const;
  const std::vector<std::string>& header() const { return header_; }
  // Reads the next non-empty row; false at the end.
  bool next();
  long line_number() const { return line_; }
  const std::string& field(int column) const;
  long long integer(int column, const char* what) const;
  double number(int column, const char* what) const;

 private:
  std::string where() const;
  std::string name_;
  std::ifstream in_;
  std::vector<std::string> header_, row_;
  long line_ = 0;
};

std::vector<std::string> split_csv_line(const std::string& line);

}  // namespace bt::behavior
