/* miniblas: a small stand-in for numpy's bundled OpenBLAS (scipy-openblas64, ~25 MB
 * with libgfortran), built by packaging/slim.py under OpenBLAS's soname.
 *
 * It exports exactly the symbols numpy's extension modules import from OpenBLAS (the
 * ILP64 "scipy_" names: 64-bit integers, CBLAS enums as int), implemented naively:
 * plain loops, no blocking, no threads. rtprobe's numpy work is element-wise (plots,
 * histograms, percentiles); what reaches BLAS here is pyqtgraph's 3x3 transforms and
 * the odd small dot product, where naive loops are as fast as anything.
 *
 *   CBLAS    ?axpy ?dot ?dot[uc]_sub ?gemv ?gemm ?syrk      for s, d, c, z
 *   LAPACK   ?copy ?getrf ?gesv ?potrf                      for s, d, c, z
 *            sgesdd dgesdd (one-sided Jacobi; jobz N, S, and A when square)
 *   failing  ?geev ?syevd/?heevd ?gelsd, complex ?gesdd, ?geqrf/?orgqr/?ungqr: a
 *            workspace query answers, the call itself reports failure (info != 0), so
 *            numpy raises LinAlgError ("did not converge", ...) instead of answering.
 *
 * tests/packaging/test_bundle.py checks numpy's answers on this library against
 * reference loops. Build: cc -shared -fPIC -O2 -Wl,-soname,NAME -o NAME miniblas.c -lm
 */
#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int64_t bint;
typedef float complex cfloat;
typedef double complex cdouble;

#define API __attribute__((visibility("default")))
enum { RowMajor = 101, ColMajor = 102 };
enum { NoTrans = 111, Trans = 112, ConjTrans = 113 };
enum { Upper = 121, Lower = 122 };

static inline bint vstart(bint n, bint inc) { return inc < 0 ? (1 - n) * inc : 0; }
static inline bint at(int order, bint i, bint j, bint ld) {
    return order == RowMajor ? i * ld + j : i + j * ld;
}

#define ID(x) (x)

/* ---- CBLAS level 1 ------------------------------------------------------------ */
#define AXPY(NAME, T, ALPHA_T, ALPHA)                                                  \
    API void NAME(bint n, ALPHA_T alpha, const void *xv, bint incx, void *yv,          \
                  bint incy) {                                                         \
        const T *x = xv;                                                               \
        T *y = yv, a = ALPHA;                                                          \
        bint ix = vstart(n, incx), iy = vstart(n, incy);                               \
        for (bint i = 0; i < n; i++, ix += incx, iy += incy) y[iy] += a * x[ix];       \
    }
AXPY(scipy_cblas_saxpy64_, float, float, alpha)
AXPY(scipy_cblas_daxpy64_, double, double, alpha)
AXPY(scipy_cblas_caxpy64_, cfloat, const void *, *(const cfloat *)alpha)
AXPY(scipy_cblas_zaxpy64_, cdouble, const void *, *(const cdouble *)alpha)

#define DOT_LOOP(T, CX)                                                                \
    T sum = 0;                                                                         \
    bint ix = vstart(n, incx), iy = vstart(n, incy);                                   \
    for (bint i = 0; i < n; i++, ix += incx, iy += incy) sum += CX(x[ix]) * y[iy];

API float scipy_cblas_sdot64_(bint n, const float *x, bint incx, const float *y, bint incy) {
    DOT_LOOP(float, ID)
    return sum;
}
API double scipy_cblas_ddot64_(bint n, const double *x, bint incx, const double *y,
                               bint incy) {
    DOT_LOOP(double, ID)
    return sum;
}
#define DOT_SUB(NAME, T, CX)                                                           \
    API void NAME(bint n, const void *xv, bint incx, const void *yv, bint incy,        \
                  void *ret) {                                                         \
        const T *x = xv, *y = yv;                                                      \
        DOT_LOOP(T, CX)                                                                \
        *(T *)ret = sum;                                                               \
    }
DOT_SUB(scipy_cblas_cdotu_sub64_, cfloat, ID)
DOT_SUB(scipy_cblas_cdotc_sub64_, cfloat, conjf)
DOT_SUB(scipy_cblas_zdotu_sub64_, cdouble, ID)
DOT_SUB(scipy_cblas_zdotc_sub64_, cdouble, conj)

/* ---- CBLAS level 2 and 3 ---------------------------------------------------------- */
/* op(X)(i, j) for X stored with leading dimension ld */
#define OP(X, t, i, j, ld, CJ)                                                         \
    ((t) == NoTrans ? (X)[at(order, i, j, ld)]                                         \
     : (t) == Trans ? (X)[at(order, j, i, ld)]                                         \
                    : CJ((X)[at(order, j, i, ld)]))

#define GEMV(NAME, T, S_T, GET, CJ)                                                    \
    API void NAME(int order, int trans, bint m, bint n, S_T alpha_, const void *av,    \
                  bint lda, const void *xv, bint incx, S_T beta_, void *yv,            \
                  bint incy) {                                                         \
        const T *a = av, *x = xv;                                                      \
        T *y = yv, alpha = GET(alpha_), beta = GET(beta_);                             \
        bint rows = trans == NoTrans ? m : n, cols = trans == NoTrans ? n : m;         \
        bint iy = vstart(rows, incy);                                                  \
        for (bint i = 0; i < rows; i++, iy += incy) {                                  \
            T sum = 0;                                                                 \
            bint ix = vstart(cols, incx);                                              \
            for (bint j = 0; j < cols; j++, ix += incx) sum += OP(a, trans, i, j, lda, CJ) * x[ix]; \
            y[iy] = alpha * sum + (beta == 0 ? 0 : beta * y[iy]);                      \
        }                                                                              \
    }
#define BYVAL(x) (x)
#define BYPTR_C(x) (*(const cfloat *)(x))
#define BYPTR_Z(x) (*(const cdouble *)(x))
GEMV(scipy_cblas_sgemv64_, float, float, BYVAL, ID)
GEMV(scipy_cblas_dgemv64_, double, double, BYVAL, ID)
GEMV(scipy_cblas_cgemv64_, cfloat, const void *, BYPTR_C, conjf)
GEMV(scipy_cblas_zgemv64_, cdouble, const void *, BYPTR_Z, conj)

#define GEMM(NAME, T, S_T, GET, CJ)                                                    \
    API void NAME(int order, int ta, int tb, bint m, bint n, bint k, S_T alpha_,       \
                  const void *av, bint lda, const void *bv, bint ldb, S_T beta_,       \
                  void *cv, bint ldc) {                                                \
        const T *a = av, *b = bv;                                                      \
        T *c = cv, alpha = GET(alpha_), beta = GET(beta_);                             \
        for (bint i = 0; i < m; i++)                                                   \
            for (bint j = 0; j < n; j++) {                                             \
                T sum = 0;                                                             \
                for (bint l = 0; l < k; l++)                                           \
                    sum += OP(a, ta, i, l, lda, CJ) * OP(b, tb, l, j, ldb, CJ);        \
                T *out = &c[at(order, i, j, ldc)];                                     \
                *out = alpha * sum + (beta == 0 ? 0 : beta * *out);                    \
            }                                                                          \
    }
GEMM(scipy_cblas_sgemm64_, float, float, BYVAL, ID)
GEMM(scipy_cblas_dgemm64_, double, double, BYVAL, ID)
GEMM(scipy_cblas_cgemm64_, cfloat, const void *, BYPTR_C, conjf)
GEMM(scipy_cblas_zgemm64_, cdouble, const void *, BYPTR_Z, conj)

/* C = alpha op(A) op(A)^T + beta C on the uplo triangle (no conjugation: syrk, not herk) */
#define SYRK(NAME, T, S_T, GET)                                                        \
    API void NAME(int order, int uplo, int trans, bint n, bint k, S_T alpha_,          \
                  const void *av, bint lda, S_T beta_, void *cv, bint ldc) {           \
        const T *a = av;                                                               \
        T *c = cv, alpha = GET(alpha_), beta = GET(beta_);                             \
        for (bint i = 0; i < n; i++)                                                   \
            for (bint j = (uplo == Upper ? i : 0); j < (uplo == Upper ? n : i + 1); j++) { \
                T sum = 0;                                                             \
                for (bint l = 0; l < k; l++)                                           \
                    sum += OP(a, trans, i, l, lda, ID) * OP(a, trans, j, l, lda, ID);  \
                T *out = &c[at(order, i, j, ldc)];                                     \
                *out = alpha * sum + (beta == 0 ? 0 : beta * *out);                    \
            }                                                                          \
    }
SYRK(scipy_cblas_ssyrk64_, float, float, BYVAL)
SYRK(scipy_cblas_dsyrk64_, double, double, BYVAL)
SYRK(scipy_cblas_csyrk64_, cfloat, const void *, BYPTR_C)
SYRK(scipy_cblas_zsyrk64_, cdouble, const void *, BYPTR_Z)

/* ---- LAPACK (Fortran calling convention: every argument by reference, column-major) -- */
#define F(i, j, ld) ((i) + (j) * (ld))

#define COPY(NAME, T)                                                                  \
    API void NAME(const bint *n, const T *x, const bint *incx, T *y, const bint *incy) { \
        bint ix = vstart(*n, *incx), iy = vstart(*n, *incy);                           \
        for (bint i = 0; i < *n; i++, ix += *incx, iy += *incy) y[iy] = x[ix];         \
    }
COPY(scipy_scopy_64_, float)
COPY(scipy_dcopy_64_, double)
COPY(scipy_ccopy_64_, cfloat)
COPY(scipy_zcopy_64_, cdouble)

/* LU with partial pivoting: A = P L U, ipiv 1-based; info = k+1 for the first zero pivot */
#define GETRF(NAME, T, ABS)                                                            \
    API void NAME(const bint *m_, const bint *n_, T *a, const bint *lda_, bint *ipiv,  \
                  bint *info) {                                                        \
        bint m = *m_, n = *n_, lda = *lda_, mn = m < n ? m : n;                        \
        *info = 0;                                                                     \
        for (bint k = 0; k < mn; k++) {                                                \
            bint p = k;                                                                \
            for (bint i = k + 1; i < m; i++)                                           \
                if (ABS(a[F(i, k, lda)]) > ABS(a[F(p, k, lda)])) p = i;                \
            ipiv[k] = p + 1;                                                           \
            if (a[F(p, k, lda)] == 0) {                                                \
                if (*info == 0) *info = k + 1;                                         \
                continue;                                                              \
            }                                                                          \
            if (p != k)                                                                \
                for (bint j = 0; j < n; j++) {                                         \
                    T t = a[F(k, j, lda)];                                             \
                    a[F(k, j, lda)] = a[F(p, j, lda)];                                 \
                    a[F(p, j, lda)] = t;                                               \
                }                                                                      \
            for (bint i = k + 1; i < m; i++) a[F(i, k, lda)] /= a[F(k, k, lda)];       \
            for (bint j = k + 1; j < n; j++)                                           \
                for (bint i = k + 1; i < m; i++)                                       \
                    a[F(i, j, lda)] -= a[F(i, k, lda)] * a[F(k, j, lda)];              \
        }                                                                              \
    }
GETRF(scipy_sgetrf_64_, float, fabsf)
GETRF(scipy_dgetrf_64_, double, fabs)
GETRF(scipy_cgetrf_64_, cfloat, cabsf)
GETRF(scipy_zgetrf_64_, cdouble, cabs)

#define GESV(NAME, GETRF_NAME, T)                                                      \
    API void NAME(const bint *n_, const bint *nrhs_, T *a, const bint *lda_,           \
                  bint *ipiv, T *b, const bint *ldb_, bint *info) {                    \
        bint n = *n_, nrhs = *nrhs_, lda = *lda_, ldb = *ldb_;                         \
        GETRF_NAME(n_, n_, a, lda_, ipiv, info);                                       \
        if (*info != 0) return;                                                        \
        for (bint r = 0; r < nrhs; r++) {                                              \
            T *x = b + r * ldb;                                                        \
            for (bint k = 0; k < n; k++) {                                             \
                bint p = ipiv[k] - 1;                                                  \
                T t = x[k];                                                            \
                x[k] = x[p];                                                           \
                x[p] = t;                                                              \
            }                                                                          \
            for (bint i = 0; i < n; i++)                                               \
                for (bint k = 0; k < i; k++) x[i] -= a[F(i, k, lda)] * x[k];           \
            for (bint i = n - 1; i >= 0; i--) {                                        \
                for (bint k = i + 1; k < n; k++) x[i] -= a[F(i, k, lda)] * x[k];       \
                x[i] /= a[F(i, i, lda)];                                               \
            }                                                                          \
        }                                                                              \
    }
GESV(scipy_sgesv_64_, scipy_sgetrf_64_, float)
GESV(scipy_dgesv_64_, scipy_dgetrf_64_, double)
GESV(scipy_cgesv_64_, scipy_cgetrf_64_, cfloat)
GESV(scipy_zgesv_64_, scipy_zgetrf_64_, cdouble)

/* Cholesky: A = L L^H ('L') or U^H U ('U'), on that triangle only; info = j+1 if the
 * leading minor of order j+1 is not positive definite */
#define POTRF(NAME, T, RE, CJ, SQRT)                                                   \
    API void NAME(const char *uplo, const bint *n_, T *a, const bint *lda_, bint *info) { \
        bint n = *n_, lda = *lda_;                                                     \
        int lower = *uplo == 'L' || *uplo == 'l';                                      \
        *info = 0;                                                                     \
        for (bint j = 0; j < n; j++) {                                                 \
            double d = RE(a[F(j, j, lda)]);                                            \
            for (bint k = 0; k < j; k++) {                                             \
                T v = lower ? a[F(j, k, lda)] : a[F(k, j, lda)];                       \
                d -= RE(CJ(v) * v);                                                    \
            }                                                                          \
            if (!(d > 0)) {                                                            \
                *info = j + 1;                                                         \
                return;                                                                \
            }                                                                          \
            d = SQRT(d);                                                               \
            a[F(j, j, lda)] = d;                                                       \
            for (bint i = j + 1; i < n; i++) {                                         \
                if (lower) {                                                           \
                    T s = a[F(i, j, lda)];                                             \
                    for (bint k = 0; k < j; k++) s -= a[F(i, k, lda)] * CJ(a[F(j, k, lda)]); \
                    a[F(i, j, lda)] = s / d;                                           \
                } else {                                                               \
                    T s = a[F(j, i, lda)];                                             \
                    for (bint k = 0; k < j; k++) s -= CJ(a[F(k, j, lda)]) * a[F(k, i, lda)]; \
                    a[F(j, i, lda)] = s / d;                                           \
                }                                                                      \
            }                                                                          \
        }                                                                              \
    }
POTRF(scipy_spotrf_64_, float, ID, ID, sqrt)
POTRF(scipy_dpotrf_64_, double, ID, ID, sqrt)
POTRF(scipy_cpotrf_64_, cfloat, crealf, conjf, sqrt)
POTRF(scipy_zpotrf_64_, cdouble, creal, conj, sqrt)

/* SVD by one-sided Jacobi (Hestenes) in double: A (m x n, m >= n) = U S V^T.
 * u: m x n, v: n x n, s: n, sorted descending. 0, or 1 if it did not converge. */
static int jacobi_svd(bint m, bint n, double *u, double *v, double *s) {
    for (bint i = 0; i < n * n; i++) v[i] = 0;
    for (bint i = 0; i < n; i++) v[i + i * n] = 1;
    int converged = 0;
    for (int sweep = 0; sweep < 80 && !converged; sweep++) {
        converged = 1;
        for (bint p = 0; p < n; p++)
            for (bint q = p + 1; q < n; q++) {
                double alpha = 0, beta = 0, gamma = 0;
                for (bint i = 0; i < m; i++) {
                    alpha += u[i + p * m] * u[i + p * m];
                    beta += u[i + q * m] * u[i + q * m];
                    gamma += u[i + p * m] * u[i + q * m];
                }
                if (gamma == 0 || fabs(gamma) <= 1e-15 * sqrt(alpha * beta)) continue;
                converged = 0;
                double zeta = (beta - alpha) / (2 * gamma);
                double t = (zeta >= 0 ? 1 : -1) / (fabs(zeta) + sqrt(1 + zeta * zeta));
                double c = 1 / sqrt(1 + t * t), sn = c * t;
                for (bint i = 0; i < m; i++) {
                    double x = u[i + p * m], y = u[i + q * m];
                    u[i + p * m] = c * x - sn * y;
                    u[i + q * m] = sn * x + c * y;
                }
                for (bint i = 0; i < n; i++) {
                    double x = v[i + p * n], y = v[i + q * n];
                    v[i + p * n] = c * x - sn * y;
                    v[i + q * n] = sn * x + c * y;
                }
            }
    }
    for (bint j = 0; j < n; j++) {
        double norm = 0;
        for (bint i = 0; i < m; i++) norm += u[i + j * m] * u[i + j * m];
        s[j] = sqrt(norm);
        if (s[j] > 0)
            for (bint i = 0; i < m; i++) u[i + j * m] /= s[j];
    }
    for (bint j = 0; j < n; j++) { /* selection sort, descending, columns follow */
        bint best = j;
        for (bint k = j + 1; k < n; k++)
            if (s[k] > s[best]) best = k;
        if (best == j) continue;
        double t = s[j];
        s[j] = s[best];
        s[best] = t;
        for (bint i = 0; i < m; i++) {
            t = u[i + j * m], u[i + j * m] = u[i + best * m], u[i + best * m] = t;
        }
        for (bint i = 0; i < n; i++) {
            t = v[i + j * n], v[i + j * n] = v[i + best * n], v[i + best * n] = t;
        }
    }
    return converged ? 0 : 1;
}

#define GESDD(NAME, T)                                                                 \
    API void NAME(const char *jobz, const bint *m_, const bint *n_, T *a,              \
                  const bint *lda_, T *s, T *u, const bint *ldu_, T *vt,               \
                  const bint *ldvt_, T *work, const bint *lwork, bint *iwork,          \
                  bint *info) {                                                        \
        bint m = *m_, n = *n_, lda = *lda_, k = m < n ? m : n;                         \
        char job = *jobz;                                                              \
        (void)iwork;                                                                   \
        if (*lwork == -1) {                                                            \
            work[0] = 1;                                                               \
            *info = 0;                                                                 \
            return;                                                                    \
        }                                                                              \
        if (job != 'N' && job != 'S' && !(job == 'A' && m == n)) {                     \
            *info = 1;                                                                 \
            return;                                                                    \
        }                                                                              \
        bint tall = m >= n, rows = tall ? m : n; /* work on A or A^T: rows x k */      \
        double *uu = malloc(sizeof(double) * (rows * k + k * k + k));                  \
        if (uu == NULL) {                                                              \
            *info = 1;                                                                 \
            return;                                                                    \
        }                                                                              \
        double *vv = uu + rows * k, *ss = vv + k * k;                                  \
        for (bint i = 0; i < rows; i++)                                                \
            for (bint j = 0; j < k; j++)                                               \
                uu[i + j * rows] = tall ? a[F(i, j, lda)] : a[F(j, i, lda)];           \
        *info = jacobi_svd(rows, k, uu, vv, ss);                                       \
        for (bint j = 0; j < k; j++) s[j] = (T)ss[j];                                  \
        if (job != 'N') {                                                              \
            bint ldu = *ldu_, ldvt = *ldvt_;                                           \
            /* tall: U = uu (m x k), V = vv; wide: U = vv (m x m), V = uu (n x m) */   \
            for (bint i = 0; i < m; i++)                                               \
                for (bint j = 0; j < k; j++)                                           \
                    u[F(i, j, ldu)] = (T)(tall ? uu[i + j * rows] : vv[i + j * k]);    \
            for (bint i = 0; i < k; i++)                                               \
                for (bint j = 0; j < n; j++)                                           \
                    vt[F(i, j, ldvt)] = (T)(tall ? vv[j + i * k] : uu[j + i * rows]);  \
        }                                                                              \
        free(uu);                                                                      \
    }
GESDD(scipy_sgesdd_64_, float)
GESDD(scipy_dgesdd_64_, double)

/* ---- failing stand-ins: answer the workspace query, then report failure ---------- */
#define Q(x) ((x)[0] = 1)
API void scipy_sgeev_64_(void *jl, void *jr, void *n, void *a, void *lda, void *wr, void *wi,
                         void *vl, void *ldvl, void *vr, void *ldvr, float *work,
                         const bint *lwork, bint *info) {
    if (*lwork == -1) { Q(work); *info = 0; } else *info = 1;
}
API void scipy_dgeev_64_(void *jl, void *jr, void *n, void *a, void *lda, void *wr, void *wi,
                         void *vl, void *ldvl, void *vr, void *ldvr, double *work,
                         const bint *lwork, bint *info) {
    if (*lwork == -1) { Q(work); *info = 0; } else *info = 1;
}
API void scipy_cgeev_64_(void *jl, void *jr, void *n, void *a, void *lda, void *w, void *vl,
                         void *ldvl, void *vr, void *ldvr, cfloat *work, const bint *lwork,
                         float *rwork, bint *info) {
    if (*lwork == -1) { Q(work); *info = 0; } else *info = 1;
}
API void scipy_zgeev_64_(void *jl, void *jr, void *n, void *a, void *lda, void *w, void *vl,
                         void *ldvl, void *vr, void *ldvr, cdouble *work, const bint *lwork,
                         double *rwork, bint *info) {
    if (*lwork == -1) { Q(work); *info = 0; } else *info = 1;
}
API void scipy_cgesdd_64_(void *jobz, void *m, void *n, void *a, void *lda, void *s, void *u,
                          void *ldu, void *vt, void *ldvt, cfloat *work, const bint *lwork,
                          float *rwork, bint *iwork, bint *info) {
    if (*lwork == -1) { Q(work); *info = 0; } else *info = 1;
}
API void scipy_zgesdd_64_(void *jobz, void *m, void *n, void *a, void *lda, void *s, void *u,
                          void *ldu, void *vt, void *ldvt, cdouble *work, const bint *lwork,
                          double *rwork, bint *iwork, bint *info) {
    if (*lwork == -1) { Q(work); *info = 0; } else *info = 1;
}
#define SYEVD(NAME, T)                                                                 \
    API void NAME(void *jobz, void *uplo, void *n, void *a, void *lda, void *w, T *work, \
                  const bint *lwork, bint *iwork, const bint *liwork, bint *info) {    \
        if (*lwork == -1 || *liwork == -1) { Q(work); Q(iwork); *info = 0; }           \
        else *info = 1;                                                                \
    }
SYEVD(scipy_ssyevd_64_, float)
SYEVD(scipy_dsyevd_64_, double)
#define HEEVD(NAME, T, R)                                                              \
    API void NAME(void *jobz, void *uplo, void *n, void *a, void *lda, void *w, T *work, \
                  const bint *lwork, R *rwork, const bint *lrwork, bint *iwork,        \
                  const bint *liwork, bint *info) {                                    \
        if (*lwork == -1 || *lrwork == -1 || *liwork == -1) {                          \
            Q(work); Q(rwork); Q(iwork); *info = 0;                                    \
        } else *info = 1;                                                              \
    }
HEEVD(scipy_cheevd_64_, cfloat, float)
HEEVD(scipy_zheevd_64_, cdouble, double)
#define GELSD_R(NAME, T)                                                               \
    API void NAME(void *m, void *n, void *nrhs, void *a, void *lda, void *b, void *ldb, \
                  void *s, void *rcond, void *rank, T *work, const bint *lwork,        \
                  bint *iwork, bint *info) {                                           \
        if (*lwork == -1) { Q(work); Q(iwork); *info = 0; } else *info = 1;            \
    }
GELSD_R(scipy_sgelsd_64_, float)
GELSD_R(scipy_dgelsd_64_, double)
#define GELSD_C(NAME, T, R)                                                            \
    API void NAME(void *m, void *n, void *nrhs, void *a, void *lda, void *b, void *ldb, \
                  void *s, void *rcond, void *rank, T *work, const bint *lwork,        \
                  R *rwork, bint *iwork, bint *info) {                                 \
        if (*lwork == -1) { Q(work); Q(rwork); Q(iwork); *info = 0; } else *info = 1;  \
    }
GELSD_C(scipy_cgelsd_64_, cfloat, float)
GELSD_C(scipy_zgelsd_64_, cdouble, double)
#define GEQRF(NAME, T)                                                                 \
    API void NAME(void *m, void *n, void *a, void *lda, void *tau, T *work,            \
                  const bint *lwork, bint *info) {                                     \
        if (*lwork == -1) { Q(work); *info = 0; } else *info = -1;                     \
    }
GEQRF(scipy_dgeqrf_64_, double)
GEQRF(scipy_zgeqrf_64_, cdouble)
#define ORGQR(NAME, T)                                                                 \
    API void NAME(void *m, void *n, void *k, void *a, void *lda, void *tau, T *work,   \
                  const bint *lwork, bint *info) {                                     \
        if (*lwork == -1) { Q(work); *info = 0; } else *info = -1;                     \
    }
ORGQR(scipy_dorgqr_64_, double)
ORGQR(scipy_zungqr_64_, cdouble)
