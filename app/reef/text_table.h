#pragma once
// Plain-text helpers of the storage commands: aligned tables, CSV fields, times and durations.
#include <optional>
#include <string>
#include <vector>

namespace reef::app {

std::string formatTable(const std::vector<std::vector<std::string>>& rows);  // first row: header
std::string csvField(const std::string& text);
std::string formatLocalTime(std::optional<double> unixSeconds);

}  // namespace reef::app
