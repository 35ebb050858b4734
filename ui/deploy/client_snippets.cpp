#include "ui/deploy/client_snippets.h"

#include "backend/protocol/json.h"

namespace reef::ui {

namespace {

QString jsonText(const Json& value) { return QString::fromStdString(value.dump()); }

// Python's repr of a string is not JSON's, but a JSON string literal is valid Python.
QString pythonString(const QString& text) { return jsonText(text.toStdString()); }

ClientSnippets chat(const QString& base, const QString& model) {
  const Json body = {{"model", model.toStdString()},
                     {"messages", {{{"role", "user"}, {"content", "In the beginning"}}}},
                     {"max_tokens", 64}};
  ClientSnippets s;
  s.curl = QString("curl %1/v1/chat/completions \\\n  -H 'Content-Type: application/json' \\\n  -d %2\n")
               .arg(base, shellQuoted(jsonText(body)));
  s.pythonLabel = "Python (openai)";
  s.python = QString(
                 "from openai import OpenAI\n\n"
                 "client = OpenAI(base_url=\"%1/v1\", api_key=\"unused\")\n"
                 "reply = client.chat.completions.create(\n"
                 "    model=%2,\n"
                 "    messages=[{\"role\": \"user\", \"content\": \"In the beginning\"}],\n"
                 "    max_tokens=64,\n"
                 ")\n"
                 "print(reply.choices[0].message.content)\n")
                 .arg(base, pythonString(model));
  return s;
}

ClientSnippets classify(const QString& base, const QString& model, bool image) {
  ClientSnippets s;
  const QString modelJson = jsonText(model.toStdString());
  if (image) {
    // The image goes in as a data: URL made by the shell: the quoting closes around $(base64 ...).
    const QString head = "{\"model\": " + modelJson + ", \"top_k\": 3, \"input\": \"data:image/png;base64,";
    s.curl = QString(
                 "curl %1/v1/classify \\\n  -H 'Content-Type: application/json' \\\n  -d %2\"$(base64 -w0 "
                 "digit.png)\"'\"}'\n")
                 .arg(base, shellQuoted(head));
  } else {
    const Json body = {
        {"model", model.toStdString()}, {"input", "Never trust a computer you cannot throw."}, {"top_k", 3}};
    s.curl = QString("curl %1/v1/classify \\\n  -H 'Content-Type: application/json' \\\n  -d %2\n")
                 .arg(base, shellQuoted(jsonText(body)));
  }
  s.pythonLabel = "Python";
  s.python = QString("import base64, json, urllib.request\n\n") +
             (image ? QString("image = base64.b64encode(open(\"digit.png\", \"rb\").read()).decode()\n"
                              "body = {\"model\": %1, \"input\": \"data:image/png;base64,\" + image, \"top_k\": 3}\n")
                          .arg(pythonString(model))
                    : QString("body = {\"model\": %1, \"input\": \"Never trust a computer you cannot throw.\", "
                              "\"top_k\": 3}\n")
                          .arg(pythonString(model))) +
             QString(
                 "request = urllib.request.Request(\"%1/v1/classify\", json.dumps(body).encode(),\n"
                 "                                 {\"Content-Type\": \"application/json\"})\n"
                 "for p in json.load(urllib.request.urlopen(request))[\"data\"][0][\"top\"]:\n"
                 "    print(p[\"label\"], p[\"score\"])\n")
                 .arg(base);
  return s;
}

ClientSnippets transcribe(const QString& base, const QString& model) {
  ClientSnippets s;
  s.curl = QString(
               "curl %1/v1/audio/transcriptions \\\n  -F file=@speech.wav -F model=%2 \\\n"
               "  -F response_format=verbose_json -F 'timestamp_granularities[]=word'\n")
               .arg(base, shellQuoted(model));
  s.pythonLabel = "Python (openai)";
  s.python = QString(
                 "from openai import OpenAI\n\n"
                 "client = OpenAI(base_url=\"%1/v1\", api_key=\"unused\")\n"
                 "result = client.audio.transcriptions.create(\n"
                 "    model=%2,\n"
                 "    file=open(\"speech.wav\", \"rb\"),\n"
                 "    response_format=\"verbose_json\",\n"
                 "    timestamp_granularities=[\"word\"],\n"
                 ")\n"
                 "print(result.text)\n"
                 "for w in result.words:\n"
                 "    print(f\"{w.start:6.2f} {w.end:6.2f}  {w.word}\")\n")
                 .arg(base, pythonString(model));
  return s;
}

}  // namespace

QString shellQuoted(const QString& text) {
  QString quoted = text;
  quoted.replace("'", "'\\''");
  return "'" + quoted + "'";
}

ClientSnippets clientSnippets(const QUrl& server, const QString& modelId, const std::string& servingMode) {
  const QString base = server.toString(QUrl::StripTrailingSlash);
  if (servingMode == "chat") return chat(base, modelId);
  if (servingMode == "transcription") return transcribe(base, modelId);
  return classify(base, modelId, servingMode == "image_classification");
}

}  // namespace reef::ui
