#include "ui/runs/retrieval_results.h"

#include "backend/protocol/json.h"

#include <stdexcept>

namespace reef::ui {

std::vector<RetrievalResult> parseRetrievalResults(const QByteArray& json) {
  const Json doc = Json::parse(json.toStdString(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("results") || !doc["results"].is_array())
    throw std::runtime_error("reef retrieve printed no {\"results\": [...]} object");
  std::vector<RetrievalResult> out;
  for (const Json& r : doc["results"]) {
    const bool complete = r.is_object() && r.contains("rank") && r["rank"].is_number_integer() && r.contains("score") &&
                          r["score"].is_number() && r.contains("text") && r["text"].is_string() && r.contains("png") &&
                          r["png"].is_string();
    if (!complete)
      throw std::runtime_error("result " + std::to_string(out.size() + 1) +
                               " of reef retrieve lacks rank, score, text or png");
    RetrievalResult result;
    result.rank = r["rank"].get<int>();
    result.score = r["score"].get<double>();
    result.text = QString::fromStdString(r["text"].get<std::string>());
    result.source = QString::fromStdString(r.value("source", ""));
    result.image = QString::fromStdString(r.value("image", ""));
    result.picture =
        QImage::fromData(QByteArray::fromBase64(QByteArray::fromStdString(r["png"].get<std::string>())), "PNG");
    if (result.picture.isNull())
      throw std::runtime_error("result " + std::to_string(result.rank) + " of reef retrieve has no readable PNG image");
    out.push_back(std::move(result));
  }
  return out;
}

}  // namespace reef::ui
