#pragma once
#include <string>

namespace reef::protocol {

// Shortest text that reads back as the same double ("0.001", "1e-08", "3").
std::string formatNumber(double value);
// As formatNumber, but always recognisable as a float in YAML ("3.0", ".inf").
std::string formatFloatLiteral(double value);

}  // namespace reef::protocol
