#pragma once
#include <string>

namespace reef::protocol {

// Shortest text that reads back as the same double ("0.001", "1e-08", "3").
std::string formatNumber(double value);
// As formatNumber, but always recognisable as a float in YAML ("3.0", ".inf").
std::string formatFloatLiteral(double value);
// A duration for people: "1h02m", "3m05s", "42s"; "?" for negative or absurd values.
std::string formatDuration(double seconds);

}  // namespace reef::protocol
