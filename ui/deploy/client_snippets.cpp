#include "ui/deploy/client_snippets.h"

#include "backend/protocol/json.h"

namespace reef::ui {

namespace {

QString jsonText(const Json& value) { return QString::fromStdString(value.dump()); }

// Python's repr of a string is not JSON's, but a JSON string literal is valid Python.
QString pythonString(const QString& text) { return jsonText(text.toStdString()); }

// curl posting a JSON body (already shell-quoted) to an endpoint; `tail` ends the command.
QString curlJson(const QString& base, const QString& endpoint, const QString& quotedBody, const QString& tail = "\n") {
  return QString("curl %1%2 \\\n  -H 'Content-Type: application/json' \\\n  -d %3").arg(base, endpoint, quotedBody) +
         tail;
}

// The opening of a program that uses the official openai client.
QString openaiClient(const QString& base) {
  return QString("from openai import OpenAI\n\nclient = OpenAI(base_url=\"%1/v1\", api_key=\"unused\")\n").arg(base);
}

ClientSnippets chat(const QString& base, const QString& model) {
  const Json body = {{"model", model.toStdString()},
                     {"messages", {{{"role", "user"}, {"content", "In the beginning"}}}},
                     {"max_tokens", 64}};
  ClientSnippets s;
  s.curl = curlJson(base, "/v1/chat/completions", shellQuoted(jsonText(body)));
  s.pythonLabel = "Python (openai)";
  s.python = openaiClient(base) + QString(
                                      "reply = client.chat.completions.create(\n"
                                      "    model=%1,\n"
                                      "    messages=[{\"role\": \"user\", \"content\": \"In the beginning\"}],\n"
                                      "    max_tokens=64,\n"
                                      ")\n"
                                      "print(reply.choices[0].message.content)\n")
                                      .arg(pythonString(model));
  return s;
}

ClientSnippets classify(const QString& base, const QString& model, bool image) {
  ClientSnippets s;
  const QString modelJson = jsonText(model.toStdString());
  if (image) {
    // The image goes in as a data: URL made by the shell: the quoting closes around $(base64 ...).
    const QString head = "{\"model\": " + modelJson + ", \"top_k\": 3, \"input\": \"data:image/png;base64,";
    s.curl = curlJson(base, "/v1/classify", shellQuoted(head), "\"$(base64 -w0 digit.png)\"'\"}'\n");
  } else {
    const Json body = {
        {"model", model.toStdString()}, {"input", "Never trust a computer you cannot throw."}, {"top_k", 3}};
    s.curl = curlJson(base, "/v1/classify", shellQuoted(jsonText(body)));
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
  s.python = openaiClient(base) + QString(
                                      "result = client.audio.transcriptions.create(\n"
                                      "    model=%1,\n"
                                      "    file=open(\"speech.wav\", \"rb\"),\n"
                                      "    response_format=\"verbose_json\",\n"
                                      "    timestamp_granularities=[\"word\"],\n"
                                      ")\n"
                                      "print(result.text)\n"
                                      "for w in result.words:\n"
                                      "    print(f\"{w.start:6.2f} {w.end:6.2f}  {w.word}\")\n")
                                      .arg(pythonString(model));
  return s;
}

// The Python client wants a voice; Reef's speech models have one each and ignore it.
ClientSnippets speak(const QString& base, const QString& model) {
  const Json body = {{"model", model.toStdString()},
                     {"input", "Please call John at nine. Then meet me at the bank."},
                     {"response_format", "wav"}};
  ClientSnippets s;
  s.curl = curlJson(base, "/v1/audio/speech", shellQuoted(jsonText(body)), " \\\n  -o speech.wav\n");
  s.pythonLabel = "Python (openai)";
  s.python = openaiClient(base) + QString(
                                      "with client.audio.speech.with_streaming_response.create(\n"
                                      "    model=%1,\n"
                                      "    voice=\"alloy\",\n"
                                      "    input=\"Please call John at nine. Then meet me at the bank.\",\n"
                                      "    response_format=\"wav\",\n"
                                      ") as response:\n"
                                      "    response.stream_to_file(\"speech.wav\")\n")
                                      .arg(pythonString(model));
  return s;
}

// Zero-shot with curl (the image made a data: URL by the shell, as for image classifiers), and
// both kinds of embedding through the openai client (images in Reef's `image` field).
ClientSnippets embed(const QString& base, const QString& model) {
  ClientSnippets s;
  const QString head = "{\"model\": " + jsonText(model.toStdString()) +
                       ", \"labels\": [\"cat\", \"dog\", \"car\"], \"input\": \"data:image/png;base64,";
  s.curl = curlJson(base, "/v1/classify", shellQuoted(head), "\"$(base64 -w0 picture.png)\"'\"}'\n");
  s.pythonLabel = "Python (openai)";
  s.python =
      "import base64\n" + openaiClient(base) +
      QString(
          "image = \"data:image/png;base64,\" + base64.b64encode(open(\"picture.png\", \"rb\").read()).decode()\n"
          "texts = [\"a photo of a cat\", \"a photo of a dog\"]\n"
          "t = client.embeddings.create(model=%1, input=texts).data\n"
          "v = client.embeddings.create(model=%1, input=[], extra_body={\"image\": [image]}).data[0]\n"
          "for text, e in zip(texts, t):\n"
          "    print(text, sum(a * b for a, b in zip(v.embedding, e.embedding)))\n")
          .arg(pythonString(model));
  return s;
}

// A vision chat request as the OpenAI API defines it: the image as a data: URL content part.
ClientSnippets caption(const QString& base, const QString& model) {
  ClientSnippets s;
  const QString head = "{\"model\": " + jsonText(model.toStdString()) +
                       ", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", "
                       "\"image_url\": {\"url\": \"data:image/png;base64,";
  s.curl = curlJson(base, "/v1/chat/completions", shellQuoted(head), "\"$(base64 -w0 picture.png)\"'\"}}]}]}'\n");
  s.pythonLabel = "Python (openai)";
  s.python =
      "import base64\n" + openaiClient(base) +
      QString(
          "image = \"data:image/png;base64,\" + base64.b64encode(open(\"picture.png\", \"rb\").read()).decode()\n"
          "reply = client.chat.completions.create(\n"
          "    model=%1,\n"
          "    messages=[{\"role\": \"user\", \"content\": [\n"
          "        {\"type\": \"text\", \"text\": \"What is in this picture?\"},\n"
          "        {\"type\": \"image_url\", \"image_url\": {\"url\": image}},\n"
          "    ]}],\n"
          ")\n"
          "print(reply.choices[0].message.content)\n")
          .arg(pythonString(model));
  return s;
}

// Reef's own endpoint: plain HTTP from Python.
ClientSnippets punctuate(const QString& base, const QString& model) {
  const char* text = "where are you going asked the old man i am going home";
  ClientSnippets s;
  s.curl = curlJson(base, "/v1/punctuate", shellQuoted(jsonText({{"model", model.toStdString()}, {"input", text}})));
  s.pythonLabel = "Python";
  s.python = QString(
                 "import json, urllib.request\n\n"
                 "body = {\"model\": %1, \"input\": [\"%2\"]}\n"
                 "request = urllib.request.Request(\"%3/v1/punctuate\", json.dumps(body).encode(),\n"
                 "                                 {\"Content-Type\": \"application/json\"})\n"
                 "for restored in json.load(urllib.request.urlopen(request))[\"data\"]:\n"
                 "    print(restored[\"text\"])\n")
                 .arg(pythonString(model), text, base);
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
  if (servingMode == "speech") return speak(base, modelId);
  if (servingMode == "embedding") return embed(base, modelId);
  if (servingMode == "captioning") return caption(base, modelId);
  if (servingMode == "punctuation") return punctuate(base, modelId);
  return classify(base, modelId, servingMode == "image_classification");
}

}  // namespace reef::ui
