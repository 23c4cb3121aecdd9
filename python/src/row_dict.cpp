#include "row_dict.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "values.hpp"

namespace sabot_py {
namespace py = pybind11;

namespace {

struct ColumnSlot {
  std::string name;
  uint32_t type_oid = 0;
  std::string type_name;
  TypeInfo type;
  PyObject* py_name = nullptr;  // interned; owned

  bool matches(const sabot::Column& c) const {
    return py_name != nullptr && type_oid == c.type_oid && name == c.name &&
           (type_oid != 0 || type_name == c.type_name);
  }
};

// Shared, so a row being built keeps its table's entry even if converting a value runs Python
// code (a __del__ during a collection) that reads another row and so changes the cache.
struct TableColumns {
  TableColumns(std::string_view s, std::string_view t, bool o) : schema(s), table(t), old(o) {}
  ~TableColumns() {
    for (ColumnSlot& s : slots) Py_XDECREF(s.py_name);  // the GIL is held: see ColumnCache
  }
  TableColumns(const TableColumns&) = delete;
  TableColumns& operator=(const TableColumns&) = delete;

  std::string schema;
  std::string table;
  bool old = false;
  std::vector<ColumnSlot> slots;
};

// More tables than this: the oldest entry is dropped (a bound, not a tuning knob).
constexpr size_t kMaxTables = 512;

class ColumnCache {
 public:
  std::shared_ptr<TableColumns> of(const sabot::ChangeEvent& e, bool old) {
    if (last_ < tables_.size() && same(*tables_[last_], e, old)) return tables_[last_];
    for (size_t i = 0; i < tables_.size(); ++i) {
      if (same(*tables_[i], e, old)) return tables_[last_ = i];
    }
    if (tables_.size() >= kMaxTables) tables_.erase(tables_.begin());
    tables_.push_back(std::make_shared<TableColumns>(e.schema, e.table, old));
    return tables_[last_ = tables_.size() - 1];
  }

  static const ColumnSlot& slot(TableColumns& t, size_t i, const sabot::Column& c) {
    if (i >= t.slots.size()) t.slots.resize(i + 1);
    ColumnSlot& s = t.slots[i];
    if (s.matches(c)) return s;
    PyObject* name =
        PyUnicode_DecodeUTF8(c.name.data(), static_cast<Py_ssize_t>(c.name.size()), "replace");
    if (name == nullptr) throw py::error_already_set();
    PyUnicode_InternInPlace(&name);
    Py_XDECREF(s.py_name);
    s = ColumnSlot{std::string(c.name), c.type_oid, std::string(c.type_name),
                   classify(c.type_oid, c.type_name), name};
    return s;
  }

 private:
  static bool same(const TableColumns& t, const sabot::ChangeEvent& e, bool old) {
    return t.old == old && t.table == e.table && t.schema == e.schema;
  }

  std::vector<std::shared_ptr<TableColumns>> tables_;
  size_t last_ = 0;
};

// Module lifetime, never destroyed: no reference is released after the interpreter ends.
ColumnCache& cache() {
  static ColumnCache* c = new ColumnCache();
  return *c;
}

py::object presized_dict(size_t n) {
#if PY_VERSION_HEX < 0x030E0000
  PyObject* d = _PyDict_NewPresized(static_cast<Py_ssize_t>(n));
#else
  (void)n;
  PyObject* d = PyDict_New();
#endif
  if (d == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(d);
}

template <typename Convert>
py::object build(const sabot::ChangeEvent& event, const std::vector<sabot::Column>& columns,
                 bool old, Convert convert) {
  const std::shared_ptr<TableColumns> table = cache().of(event, old);
  py::object out = presized_dict(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    const sabot::Column& c = columns[i];
    if (c.unchanged_toast) continue;
    // Copied out of the slot before converting (which may change the cache, see TableColumns).
    const ColumnSlot& slot = ColumnCache::slot(*table, i, c);
    const py::object name = py::reinterpret_borrow<py::object>(slot.py_name);
    const TypeInfo type = slot.type;
    py::object value = convert(c, type);
    if (PyDict_SetItem(out.ptr(), name.ptr(), value.ptr()) < 0) throw py::error_already_set();
  }
  return out;
}

}  // namespace

py::object row_dict(const sabot::ChangeEvent& event, const std::vector<sabot::Column>& columns,
                    bool old) {
  return build(event, columns, old,
               [](const sabot::Column& c, TypeInfo type) { return to_python(c.value, type); });
}

py::object raw_row_dict(const sabot::ChangeEvent& event, const std::vector<sabot::Column>& columns,
                        bool old) {
  return build(event, columns, old,
               [](const sabot::Column& c, TypeInfo) { return text_or_none(c.value); });
}

}  // namespace sabot_py
