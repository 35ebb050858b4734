#pragma once
// The run filter language of `reef runs list --filter` and the studio's filter box:
//
//   status = completed and tag = baseline and optim.lr < 1e-3 and val/acc.max > 0.98
//   (model.arch = vit or model.arch = resnet) and not name ~ "smoke"
//   "mnist"                         a bare word or string searches names, ids, tags and notes
//
// Fields: run fields (status, name, run_id, collection, arch, experiment, backend, host, job_id,
// seed, started, finished, created, duration, last_step, total_steps, error), `tag`, `note`,
// spec keys (section.key, compared as numbers when the value is a number) and metric summaries
// (key.aggregate with aggregate first, last, min, max, count, best; `.last` when omitted).
// Operators: = != < <= > >= ~ (contains) !~; combined with and, or, not and parentheses.
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace reef::storage {

class FilterError : public std::runtime_error {
 public:
  FilterError(size_t column, const std::string& message);
  size_t column() const { return column_; }  // 1-based position in the expression

 private:
  size_t column_;
};

using SqlValue = std::variant<int64_t, double, std::string>;

// A piece of SQL over `runs r` with its bound values, in order.
struct SqlFragment {
  std::string sql;
  std::vector<SqlValue> binds;
};

// A WHERE condition; an empty expression gives "1".
SqlFragment compileFilter(const std::string& expression);
// The value of one field for a run, for sorting and table columns.
SqlFragment fieldValue(const std::string& field);

}  // namespace reef::storage
