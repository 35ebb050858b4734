#pragma once
// Workspaces with runs for the studio's tests, written the way the engine writes them.
#include <QString>

#include <filesystem>
#include <fstream>
#include <string>

namespace reef::test {

inline void appendEvents(const std::filesystem::path& run, const std::string& lines) {
  std::ofstream(run / "events.jsonl", std::ios::app) << lines;
}

// A finished run of `model` ("<collection>/<arch>") with `steps` points of train/loss and val/acc.
inline std::filesystem::path writeRun(const std::filesystem::path& workspace, const std::string& id,
                                      const std::string& name, double lr, double finalAcc, int steps = 50,
                                      const std::string& model = "vision/cnn") {
  const auto dir = workspace / "runs" / id;
  std::filesystem::create_directories(dir / "logs");
  const auto slash = model.find('/');
  std::ofstream(dir / "spec.yaml") << "model: {collection: " << model.substr(0, slash)
                                   << ", arch: " << model.substr(slash + 1) << "}\noptim: {name: adamw, lr: " << lr
                                   << "}\nexp: {name: " << name << ", seed: 1, monitor: val/acc, monitor_mode: max}\n";
  std::string events = "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9,\"total_steps\":" + std::to_string(steps) + "}\n";
  for (int s = 1; s <= steps; ++s)
    events += "{\"v\":1,\"t\":\"metric\",\"time\":" + std::to_string(1.8e9 + s) + ",\"step\":" + std::to_string(s) +
              ",\"values\":{\"train/loss\":" + std::to_string(2.0 / s) +
              ",\"val/acc\":" + std::to_string(finalAcc * s / steps) + "}}\n";
  events +=
      "{\"v\":1,\"t\":\"log\",\"time\":1.8e9,\"level\":\"info\",\"rank\":0,\"message\":\"hello from " + name + "\"}\n";
  events += "{\"v\":1,\"t\":\"run_finished\",\"time\":" + std::to_string(1.8e9 + steps + 1) +
            ",\"status\":\"completed\",\"step\":" + std::to_string(steps) + ",\"error\":null}\n";
  appendEvents(dir, events);
  return dir;
}

}  // namespace reef::test
