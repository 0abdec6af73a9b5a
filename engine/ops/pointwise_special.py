"""Array kernels for erf, erfc and erfinv (numpy has none; scipy is not a dependency).

erf/erfc are piecewise polynomial fits (truncated Chebyshev series of smooth auxiliary functions, stored as
monomials in a scaled variable for Horner evaluation):
  |x| < 0.5        erf(x) = x * P(8x^2 - 1)
  0.5 <= |x| < 4   erfc(|x|) = exp(-x^2) * R(u) on [0.5, 2] and [2, 4]
  |x| >= 4         erfc(|x|) = exp(-x^2) / |x| * T(32/x^2 - 1)
The "_64" tables reach ~1e-16 relative error; the shorter "_32" tables ~3e-8 (used for float32/float16).
erfinv: a ~1e-9 initial fit (in x^2 centrally, in w = sqrt(-log(1-|x|)) in the tails) refined by one Halley
step for float64.  All evaluation happens in float64; the caller casts to the tensor's dtype.
"""

from __future__ import annotations

import math

import numpy as np

_ERF_SMALL_64 = (
    -1.089374832139376e-15, 8.777607488642354e-14, -6.374417501929377e-12, 4.1270251519374495e-10,
    -2.3472291635348667e-08, 1.15160377952332e-06, -4.762336934468488e-05, 0.0016130716680617073,
    -0.04364205888669792, 1.0830752376761712,
)
_ERFC_A_64 = (
    7.284422996872046e-13, -3.77646783118718e-12, 1.554615893992577e-11, -7.7527837359931e-11,
    3.8598805811952313e-10, -1.839311508916518e-09, 8.545364942404592e-09, -3.873926749102064e-08,
    1.7091502583311694e-07, -7.325302898645513e-07, 3.043974020389487e-06, -1.2235800942921585e-05,
    4.745054941869152e-05, -0.00017697065844233118, 0.0006323772264274918, -0.0021551128074205586,
    0.006964533219997892, -0.021185834510773705, 0.060072508966836816, -0.15661640697345738,
    0.3678229164523611,
)
_ERFC_B_64 = (
    -3.357346034257376e-13, 1.6649372607256146e-12, -6.540314781838702e-12, 3.1649750343485987e-11,
    -1.5396164337943972e-10, 7.206569825011898e-10, -3.312746819938391e-09, 1.4977111542990704e-08,
    -6.646692586156175e-08, 2.8926693017436393e-07, -1.2333677056587265e-06, 5.146436493577689e-06,
    -2.0989464464224638e-05, 8.355413963931287e-05, -0.0003241255444964542, 0.001223039052375977,
    -0.004479431018372594, 0.01588437115987136, -0.05437226000717287, 0.17900115118138996,
)
_ERFC_TAIL_64 = (
    6.077762652686656e-14, -2.4602458150548296e-13, 8.354510297142996e-13, -3.925780828404376e-12,
    1.9835019786063522e-11, -1.0491861391625424e-10, 5.996426436456734e-10, -3.7519036896058786e-09,
    2.6102698860133955e-08, -2.064193637023896e-07, 1.9147125645442004e-06, -2.186107488154271e-05,
    0.00033359701308002137, -0.008073805168516008, 0.5557581685752836,
)
_ERF_SMALL_32 = (
    -2.3483449317070416e-08, 1.1522229869042417e-06, -4.7623363765435506e-05, 0.0016130714358397384,
    -0.043642058887395356, 1.083075237689073,
)
_ERFC_A_32 = (
    3.6088951107600826e-06, -1.4452953174501928e-05, 4.679475404208382e-05, -0.00017468355567443918,
    0.0006327226311130891, -0.002156129036820363, 0.006964451501149492, -0.021185651344213588,
    0.060072516015436325, -0.15661641618891303, 0.36782291635402287,
)
_ERFC_B_32 = (
    3.385938379100117e-07, -1.4334605804964065e-06, 5.089237486727467e-06, -2.07834020659661e-05,
    8.358424997917926e-05, -0.0003242170294711554, 0.0012230319308778157, -0.004479414537034611,
    0.015884371774001222, -0.05437226083611125, 0.17900115117282323,
)
_ERFC_TAIL_32 = (
    -2.1323207033317755e-07, 1.9549549123707775e-06, -2.1857626447316985e-05, 0.00033358178366133255,
    -0.008073805602236268, 0.5557581694252531,
)
_ERFINV_CENTRAL = (
    4.20669441287652e-07, 1.1333125591800518e-06, 1.8181442341782451e-06, 5.343830987711982e-06,
    1.7262545954717695e-05, 5.067649215975161e-05, 0.00015133300417460085, 0.0004684449806826378,
    0.0015097335575585404, 0.005173026666664278, 0.0196911555651297, 0.09346781034915634, 0.9640216376308025,
)
_ERFINV_TAIL_A = (
    2.2655209448844682e-07, 4.312491175345953e-06, -2.3854606602387094e-05, 7.515925282670604e-05,
    -0.0002139733134575046, 0.0005698788704974517, -0.0013630996479588125, 0.0028016279795114256,
    -0.004184152771627185, -0.0006518314326985819, 0.9564554288300063, 1.761291276010175,
)
_ERFINV_TAIL_B = (
    1.2969038845355196e-06, -3.5316676359418096e-06, 5.861058374174623e-06, -1.3582489028808298e-05,
    2.7683387746592e-05, -1.8868271663166578e-05, -0.00018822397447439628, 0.0015058085236685091,
    -0.008341816563693637, 1.5729420497723858, 4.297668072456998,
)

_W0, _W1 = 1.1774100225154747, 6.061089058055252  # erfinv tail fit range in w = sqrt(-log(1-|x|))
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _horner(u, coeffs):
    r = u * coeffs[0] + coeffs[1]
    for c in coeffs[2:]:
        r *= u
        r += c
    return r


def _exp_neg_square(x, xp, exact: bool):
    """exp(-x*x) for finite x >= 0. exact: also undo the rounding of x*x (which costs x^2 * 1e-16 relative).

    x = hi + lo with hi a multiple of 1/16, so hi*hi is exact and x^2 = hi^2 + (x - hi)(x + hi); the rounding
    error e of that sum enters as exp(-s - e) = exp(-s) * (1 - e).
    """
    if not exact:
        return xp.exp(-(x * x))
    hi = xp.floor(x * 16.0)
    hi *= 0.0625
    h2 = hi * hi
    d = x - hi
    d *= x + hi
    s = h2 + d
    h2 -= s
    h2 += d  # the rounding error of s
    r = xp.exp(-s)
    h2 *= r
    r -= h2
    return r


def _erfc_pieces(ax, out, idx_groups, tables, xp, finish) -> None:
    """out[idx] = finish(erfc(ax[idx]), idx) over the three pieces covering ax >= 0.5.

    Gathering with flat indices (take/put) is several times faster than boolean-mask indexing.
    """
    _, tab_a, tab_b, tab_tail = tables
    exact = tab_a is _ERFC_A_64
    for kind, idx in enumerate(idx_groups):
        if not idx.size:
            continue
        x = ax.take(idx)
        if kind == 0:
            c = _horner(x * (4.0 / 3.0) - (5.0 / 3.0), tab_a)
        elif kind == 1:
            c = _horner(x - 3.0, tab_b)
        else:
            x = xp.minimum(x, 30.0)  # erfc(30) underflows to 0; keeps inf out of the arithmetic
            c = _horner(32.0 / (x * x) - 1.0, tab_tail)
            c /= x
        c *= _exp_neg_square(x, xp, exact)
        out.put(idx, finish(c, idx))


def _tables(dtype):
    if dtype == np.float64:
        return _ERF_SMALL_64, _ERFC_A_64, _ERFC_B_64, _ERFC_TAIL_64
    return _ERF_SMALL_32, _ERFC_A_32, _ERFC_B_32, _ERFC_TAIL_32


def _erf_erfc(x, xp, want_erf: bool, tables):
    """erf(x) (want_erf) or erfc(x) of a float64 array."""
    shape = x.shape
    x = x.reshape(-1)
    ax = xp.abs(x)
    out = xp.empty_like(x)
    idx_small = xp.flatnonzero(~(ax >= 0.5))  # NaN takes this branch and stays NaN
    if idx_small.size:
        xs = x.take(idx_small)
        e = _horner(xs * xs * 8.0 - 1.0, tables[0])
        e *= xs
        out.put(idx_small, e if want_erf else 1.0 - e)
    if idx_small.size < x.size:
        groups = (xp.flatnonzero((ax >= 0.5) & (ax < 2.0)), xp.flatnonzero((ax >= 2.0) & (ax < 4.0)),
                  xp.flatnonzero(ax >= 4.0))
        if want_erf:
            def finish(c, idx):
                return xp.copysign(1.0 - c, x.take(idx))
        else:
            def finish(c, idx):
                return xp.where(x.take(idx) < 0, 2.0 - c, c)
        _erfc_pieces(ax, out, groups, tables, xp, finish)
    return out.reshape(shape)


def _as_f64(x):
    return x if x.dtype == np.float64 else x.astype(np.float64)


def erf_array(x, xp):
    """erf of a float array, in the array's dtype."""
    r = _erf_erfc(_as_f64(x), xp, True, _tables(x.dtype))
    return r if x.dtype == np.float64 else r.astype(x.dtype)


def erfc_array(x, xp):
    """erfc of a float array, in the array's dtype."""
    r = _erf_erfc(_as_f64(x), xp, False, _tables(x.dtype))
    return r if x.dtype == np.float64 else r.astype(x.dtype)


def erfinv_array(x, xp):
    """erfinv of a float array: +-inf at +-1, NaN outside [-1, 1]."""
    shape = x.shape
    x64 = _as_f64(x).reshape(-1)
    ax = xp.abs(x64)
    y = xp.full_like(x64, np.nan)
    refine = x.dtype == np.float64
    tables = _tables(np.float64)
    idx = xp.flatnonzero(ax <= 0.75)
    if idx.size:
        a = ax.take(idx)
        yc = _horner(a * a * (2.0 / 0.5625) - 1.0, _ERFINV_CENTRAL)
        yc *= a
        if refine:  # one Halley step on f(y) = erf(y) - a: y -= f / (f' + y f), f' = 2/sqrt(pi) exp(-y^2)
            f = _erf_erfc(yc, xp, True, tables) - a
            yc -= f / (_TWO_OVER_SQRT_PI * xp.exp(-yc * yc) + yc * f)
        y.put(idx, yc)
    idx = xp.flatnonzero((ax > 0.75) & (ax < 1.0))
    if idx.size:
        p = 1.0 - ax.take(idx)  # exact for |x| > 0.5
        w = xp.sqrt(-xp.log(p))
        yt = xp.where(
            w < 3.0,
            _horner(w * (2.0 / (3.0 - _W0)) - (3.0 + _W0) / (3.0 - _W0), _ERFINV_TAIL_A),
            _horner(w * (2.0 / (_W1 - 3.0)) - (_W1 + 3.0) / (_W1 - 3.0), _ERFINV_TAIL_B),
        )
        if refine:  # Halley on h(y) = erfc(y) - p, which keeps the precision of p near |x| = 1
            h = _erf_erfc(yt, xp, False, tables) - p
            yt -= h / (yt * h - _TWO_OVER_SQRT_PI * xp.exp(-yt * yt))
        y.put(idx, yt)
    y[ax == 1.0] = np.inf
    y = xp.copysign(y, x64).reshape(shape)
    return y if x.dtype == np.float64 else y.astype(x.dtype)
