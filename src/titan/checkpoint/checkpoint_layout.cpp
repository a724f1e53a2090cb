#include "titan/checkpoint/checkpoint_layout.hpp"

#include "titan/checkpoint/quantized_formats.hpp"
#include "titan/core/errors.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace titan {

char const* checkpoint_names_name(CheckpointNames n) { return n == CheckpointNames::titan ? "titan" : "hf"; }

bool parse_checkpoint_names(std::string const& s, CheckpointNames& out) {
  if (s == "titan") out = CheckpointNames::titan;
  else if (s == "hf") out = CheckpointNames::hf;
  else return false;
  return true;
}

std::vector<std::vector<PieceLayout>> model_layouts(std::vector<ModelTensorInfo> const& model, HfAdapter const* adapter) {
  std::vector<std::vector<PieceLayout>> out;
  out.reserve(model.size());
  for (auto const& t : model) {
    if (!adapter) {
      out.push_back(t.buffer ? std::vector<PieceLayout>{} : std::vector<PieceLayout>{stored_whole(t.fqn, t.shape)});
    } else {
      out.push_back(t.buffer ? adapter->buffer_layouts(t.fqn, t.shape) : adapter->layouts(t.fqn, t.shape, t.tied));
    }
    for (auto const& l : out.back()) check_piece_layout(t.fqn, t.shape, l);
  }
  return out;
}

namespace {

std::int64_t count(Extents const& s) {
  std::int64_t n = 1;
  for (auto e : s) n *= e;
  return n;
}

// The box a piece fills in its stored tensor.
void stored_box(StoredPiece const& p, Extents& from, Extents& extent) {
  from = p.at;
  extent.assign(p.at.size(), 0);
  for (std::size_t d = 0; d < p.axes.size(); ++d) extent[d] = p.extent[static_cast<std::size_t>(p.axes[d])];
}

}  // namespace

std::vector<TensorSpec> save_tensors(std::vector<ModelTensorInfo> const& model,
                                     std::vector<std::vector<PieceLayout>> const& layouts) {
  struct Acc {
    std::size_t order;
    TensorSpec spec;
    std::int64_t filled = 0;
    std::vector<std::pair<Extents, Extents>> boxes;
  };
  std::map<std::string, Acc> acc;
  for (std::size_t k = 0; k < model.size(); ++k) {
    if (layouts[k].empty()) continue;
    for (StoredPiece const& p : layouts[k][0]) {
      auto it = acc.find(p.tensor);
      if (it == acc.end()) it = acc.emplace(p.tensor, Acc{acc.size(), {p.tensor, model[k].dtype, p.stored_shape}, 0, {}}).first;
      Acc& a = it->second;
      if (a.spec.shape != p.stored_shape || a.spec.dtype != model[k].dtype)
        throw RunError("internal: the pieces of stored tensor " + p.tensor + " disagree on its shape or dtype");
      Extents from, extent;
      stored_box(p, from, extent);
      for (auto const& [f, e] : a.boxes) {  // disjoint (a few pieces per stored tensor)
        bool overlap = true;
        for (std::size_t d = 0; d < f.size() && overlap; ++d) overlap = from[d] < f[d] + e[d] && f[d] < from[d] + extent[d];
        if (overlap) throw RunError("internal: two pieces overlap in stored tensor " + p.tensor + " (from " + model[k].fqn + ")");
      }
      a.boxes.emplace_back(from, extent);
      a.filled += count(extent);
    }
  }
  std::vector<TensorSpec> out(acc.size());
  for (auto const& [name, a] : acc) {
    if (a.filled != count(a.spec.shape))
      throw RunError("internal: the pieces of stored tensor " + name + " fill " + std::to_string(a.filled) + " of its " +
                     std::to_string(count(a.spec.shape)) + " elements");
    out[a.order] = a.spec;
  }
  return out;
}

namespace {

struct Found {
  int file = -1;
  TensorRecord const* rec = nullptr;
};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

bool is_float(StoredDType t) { return t == StoredDType::F32 || t == StoredDType::BF16 || t == StoredDType::F16; }

bool ends_with(std::string const& s, std::string const& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class Matcher {
 public:
  Matcher(CheckpointContents const& c, bool convert) : _c(c), _convert(convert) {
    for (std::size_t f = 0; f < c.files.size(); ++f)
      for (auto const& t : c.files[f].tensors) _by_name[t.name] = {static_cast<int>(f), &t};
  }

  bool has(std::string const& name) const { return _by_name.count(name) > 0; }
  std::string path_of(std::string const& name) const {
    return _c.dir + "/" + _c.files[static_cast<std::size_t>(_by_name.at(name).file)].name;
  }

  // Resolves stored tensor `name` of logical `shape` for a model tensor of
  // `dtype`; false when the checkpoint does not hold it. Throws for one it
  // holds in a form that does not fit.
  bool resolve(std::string const& name, Extents const& shape, DType dtype, bool buffer, StoredSource& out) {
    auto const it = _by_name.find(name);
    if (it == _by_name.end()) return false;
    TensorRecord const& t = *it->second.rec;
    std::string const path = path_of(name);
    out = StoredSource{};
    out.name = name;
    out.shape = shape;
    out.dtype = t.dtype;
    out.file = it->second.file;
    out.offset = _c.files[static_cast<std::size_t>(out.file)].data_start() + t.begin;
    out.data_shape = t.shape;
    _used.insert(name);
    if (t.dtype == StoredDType::U8 && ends_with(name, "_blocks")) return mxfp4(name, shape, t, out);
    if (t.shape != shape)
      throw InputError(path + ": tensor '" + name + "' has shape " + describe_shape(t.shape) + " but the model's is " +
                       describe_shape(shape) + " (a checkpoint of another model size?)");
    if (t.dtype == StoredDType::F8_E4M3) return fp8(name, shape, out);
    if (!is_float(t.dtype))
      throw InputError(path + ": tensor '" + name + "' is " + stored_dtype_name(t.dtype) +
                       ", not a dtype a parameter can be loaded from (F32, BF16, F16, F8_E4M3 with block scales)");
    if (t.dtype != stored_dtype_of(dtype) && !_convert && !buffer)
      throw InputError(path + ": tensor '" + name + "' is " + stored_dtype_name(t.dtype) + " but the run's dtype is " +
                       dtype_name(dtype) + " (--load-convert-dtype converts on load" +
                       (t.dtype == StoredDType::F16 ? std::string(")")
                                                    : ", or set run.dtype=" +
                                                          std::string(t.dtype == StoredDType::F32 ? "float32" : "bfloat16") + ")"));
    return true;
  }

  // Every stored tensor that no model tensor took and the adapter does not ignore.
  void check_extras(HfAdapter const* adapter) const {
    for (auto const& [name, where] : _by_name) {
      if (_used.count(name) || (adapter && adapter->ignored_on_load(name))) continue;
      throw InputError(_c.dir + "/" + _c.files[static_cast<std::size_t>(where.file)].name + ": extra tensor '" + name +
                       "' that the model does not have (a checkpoint of another model, or other names: see "
                       "--load-names)");
    }
  }

 private:
  bool fp8(std::string const& name, Extents const& shape, StoredSource& out) {
    std::string const path = path_of(name), sname = name + "_scale_inv";
    auto const s = _by_name.find(sname);
    if (shape.size() != 2 || s == _by_name.end())
      throw InputError(path + ": tensor '" + name + "' is F8_E4M3 but has no 2-D block scales '" + sname +
                       "' (DeepSeek-V3's FP8 layout: one scale per 128x128 block)");
    TensorRecord const& st = *s->second.rec;
    Extents const want = {ceil_div(shape[0], fp8_block), ceil_div(shape[1], fp8_block)};
    if (st.shape != want || (st.dtype != StoredDType::F32 && st.dtype != StoredDType::BF16))
      throw InputError(path_of(sname) + ": tensor '" + sname + "' is " + stored_dtype_name(st.dtype) + " " +
                       describe_shape(st.shape) + "; the block scales of " + describe_shape(shape) + " are F32 or BF16 " +
                       describe_shape(want));
    out.encoding = StoredEncoding::fp8_block;
    fill_scale(sname, s->second, out);
    return true;
  }

  bool mxfp4(std::string const& name, Extents const& shape, TensorRecord const& t, StoredSource& out) {
    std::string const path = path_of(name);
    std::string const sname = name.substr(0, name.size() - 7) + "_scales";
    std::size_t const n = shape.size();
    if (n < 1 || shape[n - 1] % mxfp4_block != 0)
      throw InputError(path + ": tensor '" + name + "' holds MXFP4 blocks but the model's " + describe_shape(shape) +
                       " does not end in a multiple of 32");
    Extents want = shape;
    want[n - 1] = shape[n - 1] / mxfp4_block;
    Extents scales_want = want;
    want.push_back(16);
    if (t.shape != want)
      throw InputError(path + ": tensor '" + name + "' has shape " + describe_shape(t.shape) +
                       " but MXFP4 blocks of the model's " + describe_shape(shape) + " are U8 " + describe_shape(want));
    auto const s = _by_name.find(sname);
    if (s == _by_name.end())
      throw InputError(path + ": tensor '" + name + "' holds MXFP4 blocks but the checkpoint has no scales '" + sname + "'");
    TensorRecord const& st = *s->second.rec;
    if (st.shape != scales_want || st.dtype != StoredDType::U8)
      throw InputError(path_of(sname) + ": tensor '" + sname + "' is " + stored_dtype_name(st.dtype) + " " +
                       describe_shape(st.shape) + " but the MXFP4 scales of " + describe_shape(shape) + " are U8 " +
                       describe_shape(scales_want));
    out.encoding = StoredEncoding::mxfp4;
    fill_scale(sname, s->second, out);
    return true;
  }

  void fill_scale(std::string const& sname, Found const& f, StoredSource& out) {
    out.scale_file = f.file;
    out.scale_offset = _c.files[static_cast<std::size_t>(f.file)].data_start() + f.rec->begin;
    out.scale_dtype = f.rec->dtype;
    out.scale_shape = f.rec->shape;
    _used.insert(sname);
  }

  CheckpointContents const& _c;
  bool _convert;
  std::map<std::string, Found> _by_name;
  std::set<std::string> _used;
};

}  // namespace

LoadPlan plan_load(CheckpointContents const& c, std::vector<ModelTensorInfo> const& model,
                   std::vector<std::vector<PieceLayout>> const& layouts, bool convert_dtype, HfAdapter const* adapter) {
  LoadPlan plan;
  for (auto const& f : c.files) {
    plan.files.push_back(f.name);
    plan.bytes += f.file_size;
  }
  plan.metadata = c.metadata;
  Matcher m(c, convert_dtype);
  std::map<std::string, int> source_index;
  for (std::size_t k = 0; k < model.size(); ++k) {
    ModelTensorInfo const& t = model[k];
    int chosen = -1;
    for (std::size_t a = 0; a < layouts[k].size() && chosen < 0; ++a) {
      bool all = true;
      for (StoredPiece const& p : layouts[k][a]) all = all && m.has(p.tensor);
      if (!all) continue;
      chosen = static_cast<int>(a);
      for (StoredPiece const& p : layouts[k][a]) {
        if (source_index.count(p.tensor)) continue;
        StoredSource s;
        m.resolve(p.tensor, p.stored_shape, t.dtype, t.buffer, s);
        source_index[p.tensor] = static_cast<int>(plan.sources.size());
        plan.sources.push_back(std::move(s));
      }
    }
    if (chosen < 0 && !layouts[k].empty() && !t.buffer) {
      std::string missing;
      for (StoredPiece const& p : layouts[k][0])
        if (!m.has(p.tensor)) {
          missing = p.tensor;
          break;
        }
      throw InputError("--load " + c.dir + ": missing tensor '" + missing + "'" +
                       (missing == t.fqn ? std::string() : " (of " + t.fqn + ")") +
                       " (the model has it, the checkpoint's index does not)");
    }
    plan.choice.push_back(chosen);
  }
  m.check_extras(adapter);
  return plan;
}

// ---- the plan as text: one record per line, fields separated by tabs -------

namespace {

std::string join(Extents const& s) {
  std::string o;
  for (std::size_t i = 0; i < s.size(); ++i) o += (i ? "," : "") + std::to_string(s[i]);
  return o;
}

Extents split_ints(std::string const& s) {
  Extents out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoll(item));
  return out;
}

std::vector<std::string> fields(std::string const& line) {
  std::vector<std::string> out;
  std::size_t b = 0;
  for (std::size_t e; (e = line.find('\t', b)) != std::string::npos; b = e + 1) out.push_back(line.substr(b, e - b));
  out.push_back(line.substr(b));
  return out;
}

}  // namespace

std::string encode_load_plan(LoadPlan const& p) {
  // Names never hold tabs or newlines that matter here: the codec's names come
  // from JSON and could; they are escaped as \t and \n.
  auto esc = [](std::string const& s) {
    std::string o;
    for (char ch : s) {
      if (ch == '\\') o += "\\\\";
      else if (ch == '\t') o += "\\t";
      else if (ch == '\n') o += "\\n";
      else o += ch;
    }
    return o;
  };
  std::string o = "bytes\t" + std::to_string(p.bytes) + "\n";
  for (auto const& f : p.files) o += "file\t" + esc(f) + "\n";
  for (auto const& [k, v] : p.metadata) o += "meta\t" + esc(k) + "\t" + esc(v) + "\n";
  for (int c : p.choice) o += "choice\t" + std::to_string(c) + "\n";
  for (auto const& s : p.sources)
    o += "source\t" + esc(s.name) + "\t" + join(s.shape) + "\t" + std::to_string(static_cast<int>(s.encoding)) + "\t" +
         stored_dtype_name(s.dtype) + "\t" + std::to_string(s.file) + "\t" + std::to_string(s.offset) + "\t" +
         join(s.data_shape) + "\t" + std::to_string(s.scale_file) + "\t" + std::to_string(s.scale_offset) + "\t" +
         stored_dtype_name(s.scale_dtype) + "\t" + join(s.scale_shape) + "\n";
  return o;
}

LoadPlan decode_load_plan(std::string const& text) {
  auto unesc = [](std::string const& s) {
    std::string o;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        char const n = s[++i];
        o += n == 't' ? '\t' : n == 'n' ? '\n' : n;
      } else {
        o += s[i];
      }
    }
    return o;
  };
  LoadPlan p;
  std::size_t b = 0;
  for (std::size_t e; (e = text.find('\n', b)) != std::string::npos; b = e + 1) {
    std::vector<std::string> const f = fields(text.substr(b, e - b));
    if (f[0] == "bytes") p.bytes = std::stoull(f[1]);
    else if (f[0] == "file") p.files.push_back(unesc(f[1]));
    else if (f[0] == "meta") p.metadata.emplace_back(unesc(f[1]), unesc(f[2]));
    else if (f[0] == "choice") p.choice.push_back(std::stoi(f[1]));
    else if (f[0] == "source") {
      StoredSource s;
      s.name = unesc(f[1]);
      s.shape = split_ints(f[2]);
      s.encoding = static_cast<StoredEncoding>(std::stoi(f[3]));
      parse_stored_dtype(f[4], s.dtype);
      s.file = std::stoi(f[5]);
      s.offset = std::stoull(f[6]);
      s.data_shape = split_ints(f[7]);
      s.scale_file = std::stoi(f[8]);
      s.scale_offset = std::stoull(f[9]);
      parse_stored_dtype(f[10], s.scale_dtype);
      s.scale_shape = split_ints(f[11]);
      p.sources.push_back(std::move(s));
    }
  }
  return p;
}

}  // namespace titan
