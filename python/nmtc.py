"""nmtc — an nmtc translation model from Python: translate, score, attention.

Standard-library ctypes over libnmt.so (the C API of nmt.h); NumPy only for
the attention matrices.

    import nmtc
    m = nmtc.Model("model")
    m.translate(["Ein Hund läuft."])             # ['A dog runs.']
    m.translate("Ein Hund läuft.", nbest=3)      # [('A dog runs.', -0.12), ...]
    a = m.attention("Ein Hund läuft.")           # of the best translation
    a.matrix, a.src_tokens, a.tgt_tokens         # (rows x cols) float32, labels
    m.attention("Ein Hund läuft.", "A dog runs.")  # forced alignment
    m.heads                                      # attention heads (nmt-train --heads)
    m.attention("Ein Hund läuft.", heads=True).matrix  # heads x rows x cols
    m.score("Ein Hund läuft.", "A dog runs.")    # (logprob, steps)
    nmtc.set_precision("int8")                   # the products' precision (libnmt 1.3)
    m.alignment_layer                            # nmt-train --alignment-layer (libnmt 1.4)
    m.attention("Ein Hund läuft.", source="decoder")  # the decoder's, not the layer's

The library is found through $NMTC_LIBRARY, else beside an installed module
(PREFIX/share/nmtc/python -> PREFIX/lib), else in the source tree's build/,
else by the loader's usual search. A model may be used from several Python
threads at once (the C calls release the GIL); close() waits for the calls
other threads have in flight, and later calls raise ValueError.

Arguments are checked before they reach C: a line is a str (bytes are
refused: decode them first) without NUL characters; where one line or a
list is accepted, score's and attention's tgt must be of the same kind as
src; integers must be ints in the library's ranges (bools and floats are
refused), else TypeError or ValueError naming the argument.

Lines longer than the limits (max_src_len source tokens when translating,
max_len tokens per side when scoring, as nmt-translate's --max-src-len and
nmt-score's --max-len) are cut to them, as the tools do; each call that
cut a line issues a CutWarning (warnings.simplefilter("error",
nmtc.CutWarning) makes it an error), whose .cuts lists (index, tokens left
out) per cut line.

The products' precision is the whole process's, as nmt-translate's
--precision: "fp32" (the library's default, or $NMT_GEMM_PRECISION), "bf16" or
"int8" (8-bit integer products; each model's weights quantized once).
set_precision() changes it for every later call; where int8 cannot run it
issues a PrecisionWarning naming the reason and the precision that runs
instead, and so does loading a model when $NMT_GEMM_PRECISION asked for int8.
precision() says which one runs.
"""
import collections
import ctypes
import ctypes.util
import operator
import os
import threading
import warnings

__all__ = ["Model", "Attention", "NmtError", "CutWarning", "PrecisionWarning", "set_precision", "precision"]

Attention = collections.namedtuple("Attention", "matrix src_tokens tgt_tokens text")


class NmtError(RuntimeError):
    """A failed library call, with the library's message."""


class CutWarning(UserWarning):
    """Lines longer than max_src_len / max_len were cut to it. cuts: the
    (index, tokens left out) of each cut line, index 0 for a single str."""

    def __init__(self, message, cuts):
        super().__init__(message)
        self.cuts = cuts


class PrecisionWarning(UserWarning):
    """The precision asked for cannot run here; the message says why and
    which one runs instead."""


def _library_path():
    if os.environ.get("NMTC_LIBRARY"):
        return os.environ["NMTC_LIBRARY"]
    here = os.path.dirname(os.path.abspath(__file__))
    for rel in (("..", "..", "..", "lib"), ("..", "build")):
        path = os.path.join(here, *rel, "libnmt.so.1")
        if os.path.exists(path):
            return path
    found = ctypes.util.find_library("nmt")
    if not found:
        raise OSError("libnmt.so not found: build it (make), install it (make install) or set NMTC_LIBRARY")
    return found


def _check_blas():
    # The tools re-execute themselves with OPENBLAS_CORETYPE when OpenBLAS picks kernels
    # below the CPU's (src/nn/blas.c); a Python process cannot, so say so.
    try:
        blas = ctypes.CDLL("libopenblas.so.0")
        blas.openblas_get_corename.restype = ctypes.c_char_p
        core = (blas.openblas_get_corename() or b"").decode()
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return
    good = {"SkylakeX", "Cooperlake", "SapphireRapids"}
    best = "SkylakeX" if all(f in flags for f in ("avx512f", "avx512bw", "avx512vl", "avx512dq")) else (
        "Haswell" if "avx2" in flags and " fma" in flags else None)
    if best == "Haswell":
        good |= {"Haswell", "Zen"}
    if best and core not in good and not os.environ.get("OPENBLAS_CORETYPE"):
        warnings.warn("OpenBLAS chose %s kernels on a CPU that runs %s: start Python with "
                      "OPENBLAS_CORETYPE=%s for the tools' speed and their exact scores" % (core, best, best))


_check_blas()
_lib_path = _library_path()
_lib = ctypes.CDLL(_lib_path)
_P, _I, _D, _S = ctypes.c_void_p, ctypes.c_int, ctypes.c_double, ctypes.c_size_t
_STRS = ctypes.POINTER(ctypes.c_char_p)
for name, res, args in [
    ("nmt_version", ctypes.c_char_p, []),
    ("nmt_last_error", ctypes.c_char_p, []),
    ("nmt_model_load", _I, [ctypes.c_char_p, ctypes.POINTER(_P)]),
    ("nmt_model_free", None, [_P]),
    ("nmt_options_new", _P, []),
    ("nmt_options_free", None, [_P]),
    ("nmt_options_set_beam", _I, [_P, _I]),
    ("nmt_options_set_nbest", _I, [_P, _I]),
    ("nmt_options_set_length_penalty", _I, [_P, _D]),
    ("nmt_options_set_max_src_len", _I, [_P, _I]),
    ("nmt_options_set_max_len", _I, [_P, _I]),
    ("nmt_options_set_batch", _I, [_P, _I]),
    ("nmt_option_info", _I, [ctypes.c_char_p, ctypes.POINTER(_D), ctypes.POINTER(_D), ctypes.POINTER(_D)]),
    ("nmt_options_set_threads", _I, [_P, _I]),
    ("nmt_options_set_attention", _I, [_P, _I]),
    ("nmt_translate", _I, [_P, _P, _STRS, _S, ctypes.POINTER(_P)]),
    ("nmt_score", _I, [_P, _P, _STRS, _STRS, _S, ctypes.POINTER(_P)]),
    ("nmt_result_free", None, [_P]),
    ("nmt_result_hypotheses", _S, [_P, _S]),
    ("nmt_result_text", ctypes.c_char_p, [_P, _S, _S]),
    ("nmt_result_score", _D, [_P, _S, _S]),
    ("nmt_result_logprob", _D, [_P, _S, _S]),
    ("nmt_result_steps", _S, [_P, _S, _S]),
    ("nmt_result_cut", _S, [_P, _S]),
    ("nmt_result_src_tokens", _S, [_P, _S]),
    ("nmt_result_src_token", ctypes.c_char_p, [_P, _S, _S]),
    ("nmt_result_tgt_token", ctypes.c_char_p, [_P, _S, _S, _S]),
    ("nmt_result_attention", ctypes.POINTER(ctypes.c_float), [_P, _S, _S, ctypes.POINTER(_S), ctypes.POINTER(_S)]),
    ("nmt_model_heads", _I, [_P]),
    ("nmt_result_attention_head", ctypes.POINTER(ctypes.c_float),
     [_P, _S, _S, _S, ctypes.POINTER(_S), ctypes.POINTER(_S)]),
]:
    try:
        fn = getattr(_lib, name)
    except AttributeError:
        raise ImportError("%s has no %s: it is libnmt %s, this module needs 1.2 or later"
                          % (_lib_path, name, _lib.nmt_version().decode())) from None
    fn.restype, fn.argtypes = res, args
# Since libnmt 1.2; Model([a, b]) asks for it, a single path does not.
_ensemble_load = getattr(_lib, "nmt_ensemble_load", None)
if _ensemble_load is not None:
    _ensemble_load.restype = _I
    _ensemble_load.argtypes = [_STRS, ctypes.POINTER(_D), _S, _S, ctypes.POINTER(_P)]

# Since libnmt 1.3.
_set_precision = getattr(_lib, "nmt_set_precision", None)
_precision = getattr(_lib, "nmt_precision", None)
if _set_precision is not None and _precision is not None:
    _set_precision.restype, _set_precision.argtypes = _I, [ctypes.c_char_p]
    _precision.restype, _precision.argtypes = ctypes.c_char_p, []
_UNSUPPORTED = 5  # NMT_ERR_UNSUPPORTED

# Since libnmt 1.4: where attention and alignments come from (NMT_SOURCE_*).
_set_source = getattr(_lib, "nmt_options_set_attention_source", None)
_has_layer = getattr(_lib, "nmt_model_alignment_layer", None)
if _set_source is not None and _has_layer is not None:
    _set_source.restype, _set_source.argtypes = _I, [_P, _I]
    _has_layer.restype, _has_layer.argtypes = _I, [_P]
_SOURCES = {"auto": 0, "alignment": 1, "decoder": 2}


def _source(value):
    """The NMT_SOURCE_* number of an attention source name."""
    if not isinstance(value, str) or value not in _SOURCES:
        raise ValueError("source must be 'auto', 'alignment' or 'decoder', got %r" % (value,))
    if value != "auto" and _set_source is None:
        raise NotImplementedError("%s is libnmt %s: the attention source needs 1.4 or later"
                                  % (_lib_path, _lib.nmt_version().decode()))
    return _SOURCES[value]


def _need_precision():
    if _set_precision is None or _precision is None:
        raise NotImplementedError("%s is libnmt %s: the precision functions need 1.3 or later"
                                  % (_lib_path, _lib.nmt_version().decode()))


def precision():
    """The precision the products run at now: "fp32", "bf16" or "int8"."""
    _need_precision()
    return _precision().decode()


def set_precision(name):
    """Set the products' precision for every later call in this process:
    "fp32", "bf16" or "int8" (ValueError for anything else). Where int8
    cannot run (a CPU without VNNI) the products run at the tools' default
    and a PrecisionWarning says why. Returns precision(). Call it while no
    other thread is translating."""
    _need_precision()
    status = _set_precision(_text("precision", name))
    if status == _UNSUPPORTED:
        warnings.warn(PrecisionWarning(_lib.nmt_last_error().decode("utf-8", "replace")), stacklevel=2)
    elif status != 0:
        raise ValueError(_lib.nmt_last_error().decode("utf-8", "replace"))
    return precision()


_env_int8_told = False


def _tell_env_int8():
    """NMT_GEMM_PRECISION=int8 where int8 cannot run: the library loads at
    the default precision; say so once, as the tools do."""
    global _env_int8_told
    if _env_int8_told or os.environ.get("NMT_GEMM_PRECISION") != "int8" or _precision is None:
        return
    _env_int8_told = True
    if precision() != "int8":
        warnings.warn(PrecisionWarning("NMT_GEMM_PRECISION=int8: int8 products are not available here: the "
                                       "products run in %s" % precision()), stacklevel=3)


# The defaults and ranges of nmt.h's option setters, asked of the library
# (they are the tools' tables). The ranges are checked here too, because
# ctypes would pass an int beyond C's int range on modulo 2**32 (2**32 + 5 -> 5).
def _option_info(name):
    d, lo, hi = _D(), _D(), _D()
    if _lib.nmt_option_info(name.encode(), ctypes.byref(d), ctypes.byref(lo), ctypes.byref(hi)) != 0:
        raise ImportError(_lib.nmt_last_error().decode("utf-8", "replace"))
    real = name == "length_penalty"
    cast = float if real else int
    return cast(d.value), (cast(lo.value), cast(hi.value))


_DEFAULTS, _RANGES = {}, {}
for _name in ("beam", "nbest", "length_penalty", "max_src_len", "max_len", "batch", "threads"):
    _DEFAULTS[_name], _RANGES[_name] = _option_info(_name)


def _check(status):
    if status != 0:
        raise NmtError(_lib.nmt_last_error().decode("utf-8", "replace"))


def _int(name, value):
    lo, hi = _RANGES[name]
    # bool is an int subclass and numpy's bool_ has an __index__ on some versions: neither is a count
    if isinstance(value, bool) or type(value).__name__ == "bool_" or not hasattr(type(value), "__index__"):
        raise TypeError("%s must be an int, got %s" % (name, type(value).__name__))
    value = operator.index(value)
    if not lo <= value <= hi:
        raise ValueError("%s must be between %d and %d, got %d" % (name, lo, hi, value))
    return value


def _real(name, value):
    lo, hi = _RANGES[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(type(value), "__float__"):
        raise TypeError("%s must be a number, got %s" % (name, type(value).__name__))
    value = float(value)
    if not lo <= value <= hi:  # also refuses NaN
        raise ValueError("%s must be between %g and %g, got %r" % (name, lo, hi, value))
    return value


def _text(label, s):
    """s as the NUL-terminated UTF-8 the library reads."""
    if not isinstance(s, str):
        hint = " (decode it first)" if isinstance(s, (bytes, bytearray)) else ""
        raise TypeError("%s must be a str, got %s%s" % (label, type(s).__name__, hint))
    if "\0" in s:
        # C strings end at a NUL: the rest of the line would silently be left out
        raise ValueError("%s contains a NUL character (at index %d)" % (label, s.index("\0")))
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError("%s is not valid Unicode at index %d: %s" % (label, e.start, e.reason)) from None


def _lines(name, value, kind=None):
    """(one, items): a str is one line, any other iterable a list of lines.
    kind (the src's one) makes the tgt match it."""
    if kind is True and not isinstance(value, str):
        raise TypeError("%s must be a str like src, got %s" % (name, type(value).__name__))
    if isinstance(value, str):
        if kind is False:
            raise TypeError("%s must be a list of str like src, got str" % name)
        return True, [value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError("%s: expected a str or a list of str, got %s" % (name, type(value).__name__))
    try:
        return False, list(value)
    except TypeError:
        raise TypeError("%s: expected a str or a list of str, got %s" % (name, type(value).__name__)) from None


def _strings(name, one, items):
    arr = (ctypes.c_char_p * max(len(items), 1))()
    for i, s in enumerate(items):
        arr[i] = _text(name if one else "%s[%d]" % (name, i), s)
    return arr


class _Result:
    def __init__(self, handle):
        self.h = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _lib.nmt_result_free(self.h)

    def text(self, i, k=0):
        return _lib.nmt_result_text(self.h, i, k).decode("utf-8")

    def cuts(self, n):
        return [(i, c) for i, c in ((i, _lib.nmt_result_cut(self.h, i)) for i in range(n)) if c]

    def attention(self, i, k=0, heads=0):
        """heads 0: the (mean) matrix, rows x cols; N > 0: the N heads', N x rows x cols."""
        import numpy
        rows, cols = _S(), _S()
        ptr = _lib.nmt_result_attention(self.h, i, k, ctypes.byref(rows), ctypes.byref(cols))
        n = rows.value * cols.value

        def copy(p):
            return numpy.ctypeslib.as_array(p, shape=(n,)).copy() if n else numpy.zeros(0, numpy.float32)
        if heads:
            planes = [_lib.nmt_result_attention_head(self.h, i, k, h, None, None) for h in range(heads)]
            matrix = numpy.stack([copy(p) for p in planes]).reshape(heads, rows.value, cols.value)
        else:
            matrix = copy(ptr).reshape(rows.value, cols.value)
        src = [_lib.nmt_result_src_token(self.h, i, j).decode("utf-8") for j in range(cols.value)]
        tgt = [_lib.nmt_result_tgt_token(self.h, i, k, t).decode("utf-8") for t in range(rows.value)]
        return Attention(matrix, src, tgt, self.text(i, k))


def _warn_cuts(cuts, n, one, limit_name, limit):
    """A CutWarning for the lines the library cut (the tools warn in the same case)."""
    if not cuts:
        return
    if limit_name == "max_src_len":
        unit, has, done = "line", "more than %s=%d source tokens" % (limit_name, limit), "are translated"
    else:
        unit, has, done = "pair", "a side of more than %s=%d tokens" % (limit_name, limit), "of each side are scored"
    if one:
        head = "the %s has %s: only the first %d %s (%d tokens left out)" % (unit, has, limit, done, cuts[0][1])
    else:
        shown = ", ".join("%s %d: %d" % (unit, i, c) for i, c in cuts[:5]) + (", ..." if len(cuts) > 5 else "")
        head = "%d of %d %ss %s %s: only the first %d %s (tokens left out: %s)" % (
            len(cuts), n, unit, "has" if len(cuts) == 1 else "have", has, limit, done, shown)
    tail = "; pass a larger %s (up to %d) to read more" % (limit_name, _RANGES[limit_name][1])
    warnings.warn(CutWarning(head + tail, cuts), stacklevel=3)  # at the caller of translate/score/attention


def _encode_path(path):
    try:
        encoded = os.fsencode(path)
    except TypeError:
        raise TypeError("path must be a str, bytes or os.PathLike, got %s" % type(path).__name__) from None
    if b"\0" in encoded:
        raise ValueError("path contains a NUL character (at index %d)" % encoded.index(b"\0"))
    return encoded


class Model:
    """A loaded model. threads: OpenMP threads per call (0 = all cores); the
    results do not depend on it. close() (or the end of a with block) frees
    it once the calls in flight have returned.

    path may be a list of model files: an ensemble (libnmt 1.2). Every call
    then decodes with all of them, each token scored by the weighted average
    of the models' log-probabilities (weights: one positive number per model,
    default all equal); attention and alignments are those of the model at
    index attention_model. The models must share the vocabulary; a model
    with itself gives exactly that model's results."""

    def __init__(self, path, threads=0, weights=None, attention_model=0):
        self._h = None
        self._cond = threading.Condition()
        self._busy = 0  # calls in flight in the library
        self.threads = _int("threads", threads)
        handle = _P()
        if isinstance(path, (list, tuple)):
            if _ensemble_load is None:
                raise NotImplementedError("%s is libnmt %s: ensembles need 1.2 or later"
                                          % (_lib_path, _lib.nmt_version().decode()))
            encoded = [_encode_path(p) for p in path]
            if not encoded:
                raise ValueError("an ensemble needs at least one model path")
            w = None
            if weights is not None:
                weights = [float(x) for x in weights]
                if len(weights) != len(encoded):
                    raise ValueError("%d weights for %d models (one per model)" % (len(weights), len(encoded)))
                w = (_D * len(weights))(*weights)
            if not isinstance(attention_model, int) or not 0 <= attention_model < len(encoded):
                raise ValueError("attention_model must be an index of the models (0 to %d), got %r"
                                 % (len(encoded) - 1, attention_model))
            _check(_ensemble_load((ctypes.c_char_p * len(encoded))(*encoded), w, len(encoded), attention_model,
                                  ctypes.byref(handle)))
        else:
            if weights is not None or attention_model != 0:
                raise ValueError("weights and attention_model are for a list of model paths (an ensemble)")
            _check(_lib.nmt_model_load(_encode_path(path), ctypes.byref(handle)))
        self._h = handle
        _tell_env_int8()

    @property
    def heads(self):
        """The model's attention heads N (nmt-train --heads; 1 for most models)."""
        return self._call(_lib.nmt_model_heads)

    @property
    def alignment_layer(self):
        """True when the model has an alignment layer (nmt-train --alignment-layer):
        attention() then comes from it unless source="decoder"."""
        return bool(self._call(_has_layer)) if _has_layer is not None else False

    @property
    def closed(self):
        """True once close() has been called."""
        return self._h is None

    def close(self):
        """Free the model: at once when idle, else after the calls other
        threads have in flight return (new calls already raise ValueError).
        Closing again does nothing."""
        cond = getattr(self, "_cond", None)
        if cond is None:  # __init__ failed before there was anything to free
            return
        with cond:
            handle, self._h = self._h, None
            while self._busy:
                cond.wait()
            if handle:
                _lib.nmt_model_free(handle)

    def __del__(self):
        # No call can be in flight here (each holds a reference to the model).
        self.close()

    def __enter__(self):
        if self._h is None:
            raise ValueError("the model is closed")
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, fn, *args):
        """fn(model handle, *args), counted as in flight so close() waits for it."""
        with self._cond:
            if self._h is None:
                raise ValueError("the model is closed")
            self._busy += 1
            handle = self._h
        try:
            return fn(handle, *args)
        finally:
            with self._cond:
                self._busy -= 1
                if not self._busy:
                    self._cond.notify_all()

    def _options(self,
                 beam=_DEFAULTS["beam"],
                 nbest=_DEFAULTS["nbest"],
                 length_penalty=_DEFAULTS["length_penalty"],
                 batch=_DEFAULTS["batch"],
                 max_src_len=_DEFAULTS["max_src_len"],
                 max_len=_DEFAULTS["max_len"],
                 attention=False,
                 source="auto"):
        # every value is checked before the C options exist, so an error leaks nothing
        values = [(_lib.nmt_options_set_beam, _int("beam", beam)),
                  (_lib.nmt_options_set_nbest, _int("nbest", nbest)),
                  (_lib.nmt_options_set_length_penalty, _real("length_penalty", length_penalty)),
                  (_lib.nmt_options_set_batch, _int("batch", batch)),
                  (_lib.nmt_options_set_max_src_len, _int("max_src_len", max_src_len)),
                  (_lib.nmt_options_set_max_len, _int("max_len", max_len)),
                  (_lib.nmt_options_set_threads, _int("threads", self.threads)),
                  (_lib.nmt_options_set_attention, int(bool(attention)))]
        if _source(source):
            values.append((_set_source, _source(source)))
        if values[1][1] > values[0][1]:
            raise ValueError("nbest must be at most the beam (%d), got %d" % (values[0][1], values[1][1]))
        o = _lib.nmt_options_new()
        try:
            for setter, value in values:
                _check(setter(o, value))
        except NmtError:
            _lib.nmt_options_free(o)
            raise
        return o

    def _run(self, src, tgt, opts):
        """src and tgt: (name, one, items); tgt None to translate."""
        n = len(src[2])
        if tgt is not None and len(tgt[2]) != n:
            raise ValueError("%d sources but %d targets" % (n, len(tgt[2])))
        arrays = [_strings(*src)] + ([] if tgt is None else [_strings(*tgt)])
        o = self._options(**opts)
        out = _P()
        try:
            if tgt is None:
                self._call(lambda h: _check(_lib.nmt_translate(h, o, arrays[0], n, ctypes.byref(out))))
            else:
                self._call(lambda h: _check(_lib.nmt_score(h, o, arrays[0], arrays[1], n, ctypes.byref(out))))
        finally:
            _lib.nmt_options_free(o)
        return _Result(out)

    def translate(self,
                  lines,
                  beam=_DEFAULTS["beam"],
                  nbest=_DEFAULTS["nbest"],
                  length_penalty=_DEFAULTS["length_penalty"],
                  batch=_DEFAULTS["batch"],
                  max_src_len=_DEFAULTS["max_src_len"]):
        """Translations of a line (str) or of a list of lines, as nmt-translate
        prints them: a str per line, or with nbest > 1 a list of
        (text, score) of the distinct best translations, best first. A line
        of more than max_src_len source tokens is cut to them (CutWarning)."""
        one, items = _lines("lines", lines)
        opts = dict(beam=beam, nbest=nbest, length_penalty=length_penalty, batch=batch, max_src_len=max_src_len)
        with self._run(("lines", one, items), None, opts) as r:
            out = []
            for i in range(len(items)):
                if nbest == 1:
                    out.append(r.text(i))
                else:
                    out.append([(r.text(i, k), _lib.nmt_result_score(r.h, i, k))
                                for k in range(_lib.nmt_result_hypotheses(r.h, i))])
            _warn_cuts(r.cuts(len(items)), len(items), one, "max_src_len", max_src_len)
        return out[0] if one else out

    def attention(self,
                  src,
                  tgt=None,
                  beam=_DEFAULTS["beam"],
                  length_penalty=_DEFAULTS["length_penalty"],
                  batch=_DEFAULTS["batch"],
                  max_src_len=_DEFAULTS["max_src_len"],
                  max_len=_DEFAULTS["max_len"],
                  heads=False,
                  source="auto"):
        """The attention of the best translation of src (or, given tgt, of
        that target: forced alignment) as an Attention(matrix, src_tokens,
        tgt_tokens, text): a float32 array of target x source subword tokens,
        the last row </s>; with several heads (self.heads) their mean. With
        heads=True the matrix is every head's, heads x target x source
        (1 x .. for a one-head model). A str gives one, a list a list (tgt
        the same kind as src). max_src_len limits the source when
        translating, max_len each side given tgt (CutWarning when a line is
        cut). source (libnmt 1.4), as the tools' --attention-source:
        "alignment" the model's alignment layer (one matrix; row t computed
        with target token t known; for a translation, a forced pass over
        it), "decoder" the decoder's attention, "auto" the layer when the
        model has one (self.alignment_layer)."""
        one, items = _lines("src", src)
        pair = None if tgt is None else ("tgt",) + _lines("tgt", tgt, one)
        opts = dict(beam=beam, length_penalty=length_penalty, batch=batch, max_src_len=max_src_len, max_len=max_len,
                    attention=True, source=source)
        from_layer = _source(source) == 1 or (_source(source) == 0 and self.alignment_layer)
        with self._run(("src", one, items), pair, opts) as r:
            n_heads = (1 if from_layer else self.heads) if heads else 0
            out = [r.attention(i, heads=n_heads) if _lib.nmt_result_hypotheses(r.h, i) else None
                   for i in range(len(items))]
            if tgt is None:
                _warn_cuts(r.cuts(len(items)), len(items), one, "max_src_len", max_src_len)
            else:
                _warn_cuts(r.cuts(len(items)), len(items), one, "max_len", max_len)
        return out[0] if one else out

    def score(self,
              src,
              tgt,
              batch=_DEFAULTS["batch"],
              max_len=_DEFAULTS["max_len"]):
        """(logprob, steps) of tgt given src, as nmt-score prints them (steps
        counts the final </s>); None for an empty source. Both a str or both
        lists. A side of more than max_len tokens is cut to them (CutWarning)."""
        one, items = _lines("src", src)
        pair = ("tgt",) + _lines("tgt", tgt, one)
        with self._run(("src", one, items), pair, dict(batch=batch, max_len=max_len)) as r:
            out = [(_lib.nmt_result_logprob(r.h, i, 0), _lib.nmt_result_steps(r.h, i, 0))
                   if _lib.nmt_result_hypotheses(r.h, i) else None for i in range(len(items))]
            _warn_cuts(r.cuts(len(items)), len(items), one, "max_len", max_len)
        return out[0] if one else out
