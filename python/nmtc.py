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
    m.score("Ein Hund läuft.", "A dog runs.")    # (logprob, steps)

The library is found through $NMTC_LIBRARY, else beside an installed module
(PREFIX/share/nmtc/python -> PREFIX/lib), else in the source tree's build/,
else by the loader's usual search. A model may be used from several Python
threads at once (the C calls release the GIL).
"""
import collections
import ctypes
import ctypes.util
import os
import warnings

__all__ = ["Model", "Attention", "NmtError"]

Attention = collections.namedtuple("Attention", "matrix src_tokens tgt_tokens text")


class NmtError(RuntimeError):
    """A failed library call, with the library's message."""


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
    # below the CPU's (src/core/blas.c); a Python process cannot, so say so.
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
_lib = ctypes.CDLL(_library_path())
_P, _I, _D, _S = ctypes.c_void_p, ctypes.c_int, ctypes.c_double, ctypes.c_size_t
_STRS = ctypes.POINTER(ctypes.c_char_p)
for name, res, args in [
    ("nmt_last_error", ctypes.c_char_p, []),
    ("nmt_model_load", _I, [ctypes.c_char_p, ctypes.POINTER(_P)]),
    ("nmt_model_free", None, [_P]),
    ("nmt_options_new", _P, []),
    ("nmt_options_free", None, [_P]),
    ("nmt_options_set_beam", _I, [_P, _I]),
    ("nmt_options_set_nbest", _I, [_P, _I]),
    ("nmt_options_set_length_penalty", _I, [_P, _D]),
    ("nmt_options_set_batch", _I, [_P, _I]),
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
    ("nmt_result_src_tokens", _S, [_P, _S]),
    ("nmt_result_src_token", ctypes.c_char_p, [_P, _S, _S]),
    ("nmt_result_tgt_token", ctypes.c_char_p, [_P, _S, _S, _S]),
    ("nmt_result_attention", ctypes.POINTER(ctypes.c_float), [_P, _S, _S, ctypes.POINTER(_S), ctypes.POINTER(_S)]),
]:
    fn = getattr(_lib, name)
    fn.restype, fn.argtypes = res, args


def _check(status):
    if status != 0:
        raise NmtError(_lib.nmt_last_error().decode("utf-8", "replace"))


def _strings(items):
    arr = (ctypes.c_char_p * max(len(items), 1))()
    for i, s in enumerate(items):
        if not isinstance(s, str):
            raise TypeError("lines must be str, got %r" % type(s).__name__)
        arr[i] = s.encode("utf-8")
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

    def attention(self, i, k=0):
        import numpy
        rows, cols = _S(), _S()
        ptr = _lib.nmt_result_attention(self.h, i, k, ctypes.byref(rows), ctypes.byref(cols))
        n = rows.value * cols.value
        matrix = numpy.ctypeslib.as_array(ptr, shape=(n,)).copy() if n else numpy.zeros(0, numpy.float32)
        src = [_lib.nmt_result_src_token(self.h, i, j).decode("utf-8") for j in range(cols.value)]
        tgt = [_lib.nmt_result_tgt_token(self.h, i, k, t).decode("utf-8") for t in range(rows.value)]
        return Attention(matrix.reshape(rows.value, cols.value), src, tgt, self.text(i, k))


class Model:
    """A loaded model. threads: OpenMP threads per call (0 = all cores); the
    results do not depend on it."""

    def __init__(self, path, threads=0):
        handle = _P()
        _check(_lib.nmt_model_load(os.fsencode(path), ctypes.byref(handle)))
        self._h = handle
        self.threads = threads

    def close(self):
        if getattr(self, "_h", None):
            _lib.nmt_model_free(self._h)
            self._h = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _options(self, beam=5, nbest=1, length_penalty=0.6, batch=32, attention=False):
        o = _lib.nmt_options_new()
        try:
            _check(_lib.nmt_options_set_beam(o, beam))
            _check(_lib.nmt_options_set_nbest(o, nbest))
            _check(_lib.nmt_options_set_length_penalty(o, length_penalty))
            _check(_lib.nmt_options_set_batch(o, batch))
            _check(_lib.nmt_options_set_threads(o, self.threads))
            _check(_lib.nmt_options_set_attention(o, int(attention)))
        except NmtError:
            _lib.nmt_options_free(o)
            raise
        return o

    def _run(self, src, tgt=None, **opts):
        o = self._options(**opts)
        out = _P()
        try:
            if tgt is None:
                _check(_lib.nmt_translate(self._h, o, _strings(src), len(src), ctypes.byref(out)))
            else:
                if len(src) != len(tgt):
                    raise ValueError("%d sources but %d targets" % (len(src), len(tgt)))
                _check(_lib.nmt_score(self._h, o, _strings(src), _strings(tgt), len(src), ctypes.byref(out)))
        finally:
            _lib.nmt_options_free(o)
        return _Result(out)

    def translate(self, lines, beam=5, nbest=1, length_penalty=0.6, batch=32):
        """Translations of a line (str) or of a list of lines, as nmt-translate
        prints them: a str per line, or with nbest > 1 a list of
        (text, score) of the distinct best translations, best first."""
        one = isinstance(lines, str)
        items = [lines] if one else list(lines)
        with self._run(items, beam=beam, nbest=nbest, length_penalty=length_penalty, batch=batch) as r:
            out = []
            for i in range(len(items)):
                if nbest == 1:
                    out.append(r.text(i))
                else:
                    out.append([(r.text(i, k), _lib.nmt_result_score(r.h, i, k))
                                for k in range(_lib.nmt_result_hypotheses(r.h, i))])
        return out[0] if one else out

    def attention(self, src, tgt=None, beam=5, length_penalty=0.6, batch=32):
        """The attention of the best translation of src (or, given tgt, of
        that target: forced alignment) as an Attention(matrix, src_tokens,
        tgt_tokens, text): a float32 array of target x source subword tokens,
        the last row </s>. A str gives one, a list a list."""
        one = isinstance(src, str)
        items = [src] if one else list(src)
        tgts = None if tgt is None else ([tgt] if isinstance(tgt, str) else list(tgt))
        with self._run(items, tgts, beam=beam, length_penalty=length_penalty, batch=batch, attention=True) as r:
            out = [r.attention(i) if _lib.nmt_result_hypotheses(r.h, i) else None for i in range(len(items))]
        return out[0] if one else out

    def score(self, src, tgt, batch=32):
        """(logprob, steps) of tgt given src, as nmt-score prints them (steps
        counts the final </s>); None for an empty source. str or lists."""
        one = isinstance(src, str)
        items, tgts = ([src], [tgt]) if one else (list(src), list(tgt))
        with self._run(items, tgts, batch=batch) as r:
            out = [(_lib.nmt_result_logprob(r.h, i, 0), _lib.nmt_result_steps(r.h, i, 0))
                   if _lib.nmt_result_hypotheses(r.h, i) else None for i in range(len(items))]
        return out[0] if one else out
