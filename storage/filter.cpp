#include "storage/filter.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>

namespace reef::storage {

FilterError::FilterError(size_t column, const std::string& message)
    : std::runtime_error("filter, column " + std::to_string(column) + ": " + message), column_(column) {}

namespace {

const std::map<std::string, std::string> kRunFields = {
    {"status", "r.status"},       {"name", "r.name"},
    {"run_id", "r.run_id"},       {"collection", "r.collection"},
    {"arch", "r.arch"},           {"experiment", "(SELECT e.name FROM experiments e WHERE e.id = r.experiment_id)"},
    {"backend", "r.backend"},     {"host", "r.host"},
    {"job_id", "r.job_id"},       {"seed", "r.seed"},
    {"started", "r.started"},     {"finished", "r.finished"},
    {"created", "r.created"},     {"duration", "(coalesce(r.finished, r.last_event) - r.started)"},
    {"last_step", "r.last_step"}, {"total_steps", "r.total_steps"},
    {"error", "r.error"},
};

const char* kAggregates[] = {"first", "last", "min", "max", "count", "best", "first_step", "last_step", "best_step"};

enum class Tok { Word, String, Number, Op, LParen, RParen, And, Or, Not, End };

struct Token {
  Tok kind;
  std::string text;
  size_t column;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<Token> tokenize(const std::string& in) {
  std::vector<Token> out;
  size_t i = 0;
  auto isWordChar = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == '-' || c == '@' ||
           c == ':' || c == '+';
  };
  while (i < in.size()) {
    const char c = in[i];
    const size_t column = i + 1;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(') {
      out.push_back({Tok::LParen, "(", column});
      ++i;
    } else if (c == ')') {
      out.push_back({Tok::RParen, ")", column});
      ++i;
    } else if (c == '"' || c == '\'') {
      std::string text;
      size_t j = i + 1;
      for (; j < in.size() && in[j] != c; ++j) {
        if (in[j] == '\\' && j + 1 < in.size()) ++j;
        text += in[j];
      }
      if (j >= in.size()) throw FilterError(column, "the string that starts here is not closed");
      out.push_back({Tok::String, text, column});
      i = j + 1;
    } else if (c == '&' || c == '|') {
      if (i + 1 >= in.size() || in[i + 1] != c) throw FilterError(column, std::string("expected ") + c + c);
      out.push_back({c == '&' ? Tok::And : Tok::Or, std::string(2, c), column});
      i += 2;
    } else if (c == '=' || c == '<' || c == '>' || c == '!' || c == '~') {
      std::string op(1, c);
      if (i + 1 < in.size() && (in[i + 1] == '=' || (c == '!' && in[i + 1] == '~'))) op += in[i + 1];
      i += op.size();
      if (op == "!") {
        out.push_back({Tok::Not, op, column});
        continue;
      }
      if (op == "==") op = "=";
      if (op == "~=") throw FilterError(column, "unknown operator '~=': use ~ (contains)");
      out.push_back({Tok::Op, op, column});
    } else if (isWordChar(c)) {
      size_t j = i;
      while (j < in.size() && isWordChar(in[j])) ++j;
      std::string word = in.substr(i, j - i);
      char* end = nullptr;
      std::strtod(word.c_str(), &end);
      const bool number = end && *end == '\0' &&
                          (std::isdigit(static_cast<unsigned char>(word[0])) ||
                           ((word[0] == '-' || word[0] == '.' || word[0] == '+') && word.size() > 1));
      const std::string keyword = lower(word);
      if (number)
        out.push_back({Tok::Number, word, column});
      else if (keyword == "and")
        out.push_back({Tok::And, word, column});
      else if (keyword == "or")
        out.push_back({Tok::Or, word, column});
      else if (keyword == "not")
        out.push_back({Tok::Not, word, column});
      else
        out.push_back({Tok::Word, word, column});
      i = j;
    } else {
      throw FilterError(column, std::string("unexpected character '") + c + "'");
    }
  }
  out.push_back({Tok::End, "", in.size() + 1});
  return out;
}

std::string sqlOperator(const std::string& op) {
  if (op == "!=") return "IS NOT";
  return op;
}

// Resolves a field name to SQL; `numeric` selects params' numeric column.
SqlFragment fieldSql(const std::string& field, size_t column, bool numeric) {
  if (auto it = kRunFields.find(field); it != kRunFields.end()) return {it->second, {}};
  if (field.find('/') != std::string::npos) {
    std::string key = field, aggregate = "last";
    const auto dot = field.rfind('.');
    if (dot != std::string::npos && dot > field.rfind('/')) {
      const std::string suffix = field.substr(dot + 1);
      if (std::find(std::begin(kAggregates), std::end(kAggregates), suffix) == std::end(kAggregates))
        throw FilterError(column,
                          "'" + suffix + "' is not a summary of a metric: use first, last, min, max, count or best");
      key = field.substr(0, dot);
      aggregate = suffix;
    }
    return {"(SELECT s." + aggregate +
                " FROM metric_summary s JOIN metric_keys k ON k.id = s.key_id WHERE s.run_id = r.id AND k.name = ?)",
            {key}};
  }
  if (field.find('.') != std::string::npos)
    return {std::string("(SELECT ") + (numeric ? "p.num" : "coalesce(p.num, p.text)") +
                " FROM params p WHERE p.run_id = r.id AND p.key = ?)",
            {field}};
  throw FilterError(column,
                    "unknown field '" + field +
                        "': use a run field (status, name, arch, experiment, started, duration, ...), tag, note, "
                        "a spec key such as optim.lr, or a metric such as val/acc.max");
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  SqlFragment parse() {
    if (peek().kind == Tok::End) return {"1", {}};
    SqlFragment f = orExpr();
    if (peek().kind != Tok::End)
      throw FilterError(peek().column, "unexpected '" + peek().text + "': join conditions with and / or");
    return f;
  }

 private:
  const Token& peek() const { return t_[pos_]; }
  const Token& next() { return t_[pos_++]; }

  // Chains stay flat ("(a AND b AND c)"), so that a long filter does not nest its SQL deeper than
  // SQLite parses.
  static SqlFragment join(std::vector<SqlFragment> parts, const char* op) {
    if (parts.size() == 1) return std::move(parts[0]);
    SqlFragment out{"(", {}};
    for (size_t i = 0; i < parts.size(); ++i) {
      out.sql += (i ? std::string(" ") + op + " " : "") + parts[i].sql;
      out.binds.insert(out.binds.end(), parts[i].binds.begin(), parts[i].binds.end());
    }
    out.sql += ")";
    return out;
  }

  SqlFragment orExpr() {
    std::vector<SqlFragment> parts{andExpr()};
    while (peek().kind == Tok::Or) {
      next();
      parts.push_back(andExpr());
    }
    return join(std::move(parts), "OR");
  }

  SqlFragment andExpr() {
    std::vector<SqlFragment> parts{unary()};
    // Adjacent conditions without a connective also mean "and" ("status=completed tag=best").
    while (peek().kind == Tok::And || peek().kind == Tok::Word || peek().kind == Tok::String ||
           peek().kind == Tok::Not || peek().kind == Tok::LParen) {
      if (peek().kind == Tok::And) next();
      parts.push_back(unary());
    }
    return join(std::move(parts), "AND");
  }

  // Entered for each `not` and `(`: a filter nests at most kMaxDepth deep.
  void deeper(const Token& t) {
    if (++depth_ > kMaxDepth)
      throw FilterError(t.column, "the filter nests 'not' and parentheses more than " + std::to_string(kMaxDepth) +
                                      " levels deep here");
  }

  SqlFragment unary() {
    if (peek().kind == Tok::Not) {
      deeper(next());
      SqlFragment f = unary();
      --depth_;
      f.sql = "(NOT coalesce(" + f.sql + ", 0))";
      return f;
    }
    return primary();
  }

  SqlFragment primary() {
    const Token& t = next();
    switch (t.kind) {
      case Tok::LParen: {
        deeper(t);
        SqlFragment f = orExpr();
        if (peek().kind != Tok::RParen)
          throw FilterError(peek().column, "expected ')' to close the '(' at column " + std::to_string(t.column));
        next();
        --depth_;
        return f;
      }
      case Tok::String:
        counted(t);
        return textSearch(t.text);
      case Tok::Word:
      case Tok::Number:
        counted(t);
        if (peek().kind == Tok::Op) return comparison(t);
        return textSearch(t.text);
      case Tok::End:
        throw FilterError(t.column, "the filter ends where a condition was expected");
      default:
        throw FilterError(t.column, "expected a condition such as status = completed, found '" + t.text + "'");
    }
  }

  static SqlFragment textSearch(const std::string& text) {
    const std::string pattern = "%" + text + "%";
    return {
        "(r.name LIKE ? OR r.run_id LIKE ? OR EXISTS(SELECT 1 FROM tags t WHERE t.run_id = r.id AND t.tag LIKE ?) "
        "OR EXISTS(SELECT 1 FROM notes n WHERE n.run_id = r.id AND n.text LIKE ?))",
        {pattern, pattern, pattern, pattern}};
  }

  SqlFragment comparison(const Token& field) {
    const Token& op = next();
    const Token& value = next();
    if (value.kind != Tok::Word && value.kind != Tok::String && value.kind != Tok::Number)
      throw FilterError(value.column, "expected a value after '" + op.text + "'");
    const bool number = value.kind == Tok::Number;
    SqlValue bound = number ? SqlValue(std::strtod(value.text.c_str(), nullptr)) : SqlValue(value.text);
    const bool contains = op.text == "~" || op.text == "!~";
    if (contains) bound = "%" + value.text + "%";

    if (field.text == "tag" || field.text == "note") {
      const bool negated = op.text == "!=" || op.text == "!~";
      if (op.text != "=" && !contains && op.text != "!=")
        throw FilterError(op.column, field.text + " takes =, !=, ~ or !~");
      const std::string table = field.text == "tag" ? "tags t" : "notes t";
      const std::string column = field.text == "tag" ? "t.tag" : "t.text";
      return {std::string(negated ? "NOT " : "") + "EXISTS(SELECT 1 FROM " + table + " WHERE t.run_id = r.id AND " +
                  column + (contains ? " LIKE ?" : " = ?") + ")",
              {bound}};
    }
    if (contains && number) throw FilterError(op.column, "~ compares text: quote the value");
    SqlFragment f = fieldSql(field.text, field.column, number);
    f.sql = "(" + f.sql +
            (contains ? (op.text == "~" ? " LIKE ?" : " NOT LIKE ?") : " " + sqlOperator(op.text) + " ?") + ")";
    f.binds.push_back(bound);
    return f;
  }

  // Each condition binds up to four values; SQLite takes 32,766.
  void counted(const Token& t) {
    if (++conditions_ > kMaxConditions)
      throw FilterError(t.column, "the filter has more than " + std::to_string(kMaxConditions) + " conditions");
  }

  static constexpr int kMaxDepth = 12, kMaxConditions = 500;
  std::vector<Token> t_;
  size_t pos_ = 0;
  int depth_ = 0, conditions_ = 0;
};

}  // namespace

SqlFragment compileFilter(const std::string& expression) { return Parser(tokenize(expression)).parse(); }

SqlFragment fieldValue(const std::string& field) { return fieldSql(field, 1, false); }

}  // namespace reef::storage
