/* Multi-buffer MD5: several independent MD5 states advanced in lockstep, one per lane of a SIMD
 * register, as MinIO does with github.com/minio/md5-simd.
 *
 * Why: an upload's ETag is the MD5 of its body
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html), and one MD5 stream is
 * latency-bound: each 64-byte block's 64 steps depend on one another, so OpenSSL's MD5 runs at
 * about 750 MB/s per core whatever the CPU's width. The bodies of concurrent uploads are
 * independent streams: 4 of them in the lanes of a 128-bit register (8 in a 256-bit AVX2 one)
 * cost about what one costs, per block.
 *
 * md5: an MD5 state with hashlib's update/digest/hexdigest/copy.
 * update_many(states, buffers): each state over its buffer, whole blocks in lockstep, with the
 *   GIL released. A state in use by another thread (update_many or a large update) is refused
 *   with RuntimeError rather than waited for.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* The lanes load message words as they lie in memory. A big-endian machine does without the
 * extension (the build is optional): storage falls back to hashlib. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "little-endian only"
#endif
#define LE32(x) (x)

static inline uint32_t load32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return LE32(v);
}

typedef struct {
    uint32_t h[4];
    uint64_t length;  /* bytes so far */
    uint8_t buf[64];  /* a partial block */
    uint32_t used;
} md5ctx;

static const uint32_t INIT[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};

/* a plus the round function of b, c and d, ordered for the chain from b (the only input of a
 * step that the step before has just computed): G's (b & d) | (c & ~d) is a sum of two terms of
 * which only one waits for b. */
#define FA(a, b, c, d) ((a) + ((d) ^ ((b) & ((c) ^ (d)))))
#define GA(a, b, c, d) (((a) + ((c) & ~(d))) + ((b) & (d)))
#define HA(a, b, c, d) ((a) + ((b) ^ ((c) ^ (d))))
#define IA(a, b, c, d) ((a) + ((c) ^ ((b) | ~(d))))
#define ROTL(x, s) (((x) << (s)) | ((x) >> (32 - (s))))
/* a + m + k does not wait for b either, so it comes first (the file is built with
 * -fno-tree-reassoc, which keeps these orders). */
#define STEP(f, a, b, c, d, m, k, s) \
    do {                             \
        a += (m) + (k);              \
        a = f##A(a, b, c, d);        \
        a = ROTL(a, s) + b;          \
    } while (0)

/* The 64 steps of one block: S(f, a, b, c, d, i, k, s) is one step over message word i, for one
 * scalar stream, two interleaved ones or vectors of lanes. */
#define ROUNDS(S)                                              \
    S(F, a, b, c, d, 0, 0xd76aa478u, 7);                 \
    S(F, d, a, b, c, 1, 0xe8c7b756u, 12);                \
    S(F, c, d, a, b, 2, 0x242070dbu, 17);                \
    S(F, b, c, d, a, 3, 0xc1bdceeeu, 22);                \
    S(F, a, b, c, d, 4, 0xf57c0fafu, 7);                 \
    S(F, d, a, b, c, 5, 0x4787c62au, 12);                \
    S(F, c, d, a, b, 6, 0xa8304613u, 17);                \
    S(F, b, c, d, a, 7, 0xfd469501u, 22);                \
    S(F, a, b, c, d, 8, 0x698098d8u, 7);                 \
    S(F, d, a, b, c, 9, 0x8b44f7afu, 12);                \
    S(F, c, d, a, b, 10, 0xffff5bb1u, 17);               \
    S(F, b, c, d, a, 11, 0x895cd7beu, 22);               \
    S(F, a, b, c, d, 12, 0x6b901122u, 7);                \
    S(F, d, a, b, c, 13, 0xfd987193u, 12);               \
    S(F, c, d, a, b, 14, 0xa679438eu, 17);               \
    S(F, b, c, d, a, 15, 0x49b40821u, 22);               \
    S(G, a, b, c, d, 1, 0xf61e2562u, 5);                 \
    S(G, d, a, b, c, 6, 0xc040b340u, 9);                 \
    S(G, c, d, a, b, 11, 0x265e5a51u, 14);               \
    S(G, b, c, d, a, 0, 0xe9b6c7aau, 20);                \
    S(G, a, b, c, d, 5, 0xd62f105du, 5);                 \
    S(G, d, a, b, c, 10, 0x02441453u, 9);                \
    S(G, c, d, a, b, 15, 0xd8a1e681u, 14);               \
    S(G, b, c, d, a, 4, 0xe7d3fbc8u, 20);                \
    S(G, a, b, c, d, 9, 0x21e1cde6u, 5);                 \
    S(G, d, a, b, c, 14, 0xc33707d6u, 9);                \
    S(G, c, d, a, b, 3, 0xf4d50d87u, 14);                \
    S(G, b, c, d, a, 8, 0x455a14edu, 20);                \
    S(G, a, b, c, d, 13, 0xa9e3e905u, 5);                \
    S(G, d, a, b, c, 2, 0xfcefa3f8u, 9);                 \
    S(G, c, d, a, b, 7, 0x676f02d9u, 14);                \
    S(G, b, c, d, a, 12, 0x8d2a4c8au, 20);               \
    S(H, a, b, c, d, 5, 0xfffa3942u, 4);                 \
    S(H, d, a, b, c, 8, 0x8771f681u, 11);                \
    S(H, c, d, a, b, 11, 0x6d9d6122u, 16);               \
    S(H, b, c, d, a, 14, 0xfde5380cu, 23);               \
    S(H, a, b, c, d, 1, 0xa4beea44u, 4);                 \
    S(H, d, a, b, c, 4, 0x4bdecfa9u, 11);                \
    S(H, c, d, a, b, 7, 0xf6bb4b60u, 16);                \
    S(H, b, c, d, a, 10, 0xbebfbc70u, 23);               \
    S(H, a, b, c, d, 13, 0x289b7ec6u, 4);                \
    S(H, d, a, b, c, 0, 0xeaa127fau, 11);                \
    S(H, c, d, a, b, 3, 0xd4ef3085u, 16);                \
    S(H, b, c, d, a, 6, 0x04881d05u, 23);                \
    S(H, a, b, c, d, 9, 0xd9d4d039u, 4);                 \
    S(H, d, a, b, c, 12, 0xe6db99e5u, 11);               \
    S(H, c, d, a, b, 15, 0x1fa27cf8u, 16);               \
    S(H, b, c, d, a, 2, 0xc4ac5665u, 23);                \
    S(I, a, b, c, d, 0, 0xf4292244u, 6);                 \
    S(I, d, a, b, c, 7, 0x432aff97u, 10);                \
    S(I, c, d, a, b, 14, 0xab9423a7u, 15);               \
    S(I, b, c, d, a, 5, 0xfc93a039u, 21);                \
    S(I, a, b, c, d, 12, 0x655b59c3u, 6);                \
    S(I, d, a, b, c, 3, 0x8f0ccc92u, 10);                \
    S(I, c, d, a, b, 10, 0xffeff47du, 15);               \
    S(I, b, c, d, a, 1, 0x85845dd1u, 21);                \
    S(I, a, b, c, d, 8, 0x6fa87e4fu, 6);                 \
    S(I, d, a, b, c, 15, 0xfe2ce6e0u, 10);               \
    S(I, c, d, a, b, 6, 0xa3014314u, 15);                \
    S(I, b, c, d, a, 13, 0x4e0811a1u, 21);               \
    S(I, a, b, c, d, 4, 0xf7537e82u, 6);                 \
    S(I, d, a, b, c, 11, 0xbd3af235u, 10);               \
    S(I, c, d, a, b, 2, 0x2ad7d2bbu, 15);                \
    S(I, b, c, d, a, 9, 0xeb86d391u, 21)

/* One stream: the tails of bodies, and a lane left alone. */
static void compress1(uint32_t h[4], const uint8_t *p, size_t blocks) {
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (; blocks; blocks--, p += 64) {
        uint32_t aa = a, bb = b, cc = c, dd = d;
#define S1(f, a, b, c, d, i, k, s) STEP(f, a, b, c, d, load32(p + 4 * (i)), k, s)
        ROUNDS(S1);
        a += aa;
        b += bb;
        c += cc;
        d += dd;
    }
    h[0] = a;
    h[1] = b;
    h[2] = c;
    h[3] = d;
}

/* Two streams interleaved in scalar registers: the CPU runs their independent chains side by
 * side, which beats a vector kernel for two lanes (a vector step's chain is longer than a
 * scalar one, whose rotate is one instruction). */
#define S2(f, a, b, c, d, i, k, s)                                    \
    STEP(f, a##0, b##0, c##0, d##0, load32(p0 + 4 * (i)), k, s); \
    STEP(f, a##1, b##1, c##1, d##1, load32(p1 + 4 * (i)), k, s)
static void compress2(uint32_t *h[], const uint8_t *p[], size_t blocks) {
    uint32_t a0 = h[0][0], b0 = h[0][1], c0 = h[0][2], d0 = h[0][3];
    uint32_t a1 = h[1][0], b1 = h[1][1], c1 = h[1][2], d1 = h[1][3];
    const uint8_t *p0 = p[0], *p1 = p[1];
    for (; blocks; blocks--, p0 += 64, p1 += 64) {
        uint32_t aa0 = a0, bb0 = b0, cc0 = c0, dd0 = d0, aa1 = a1, bb1 = b1, cc1 = c1, dd1 = d1;
        ROUNDS(S2);
        a0 += aa0, b0 += bb0, c0 += cc0, d0 += dd0;
        a1 += aa1, b1 += bb1, c1 += cc1, d1 += dd1;
    }
    h[0][0] = a0, h[0][1] = b0, h[0][2] = c0, h[0][3] = d0;
    h[1][0] = a1, h[1][1] = b1, h[1][2] = c1, h[1][3] = d1;
}

/* LANES streams in lockstep, each of `blocks` whole blocks from p[lane]. LOAD(w, p, n) puts
 * word i of block n of every lane in w[i], one lane per element: rows loaded whole and
 * transposed in registers (word by word through memory stalls on store forwarding). */
#define DEFINE_KERNEL(NAME, VT, LANES, LOAD, ATTR)                  \
    ATTR static void NAME(uint32_t *h[], const uint8_t *p[], size_t blocks) { \
        VT a, b, c, d;                                              \
        for (int l = 0; l < LANES; l++) {                           \
            a[l] = h[l][0];                                         \
            b[l] = h[l][1];                                         \
            c[l] = h[l][2];                                         \
            d[l] = h[l][3];                                         \
        }                                                           \
        for (size_t n = 0; n < blocks; n++) {                       \
            VT w[16];                                               \
            LOAD(w, p, n);                                          \
            VT aa = a, bb = b, cc = c, dd = d;                      \
            ROUNDS(SV);                                             \
            a += aa;                                                \
            b += bb;                                                \
            c += cc;                                                \
            d += dd;                                                \
        }                                                           \
        for (int l = 0; l < LANES; l++) {                           \
            h[l][0] = a[l];                                         \
            h[l][1] = b[l];                                         \
            h[l][2] = c[l];                                         \
            h[l][3] = d[l];                                         \
        }                                                           \
    }
#define SV(f, a, b, c, d, i, k, s) STEP(f, a, b, c, d, w[i], k, s)

typedef uint32_t v4u __attribute__((vector_size(16)));

static inline void load4(v4u w[16], const uint8_t *p[], size_t n) {
    for (int j = 0; j < 4; j++) {
        v4u r[4];
        for (int l = 0; l < 4; l++) memcpy(&r[l], p[l] + 64 * n + 16 * j, 16);
        v4u t0 = __builtin_shuffle(r[0], r[1], (v4u){0, 4, 1, 5});
        v4u t1 = __builtin_shuffle(r[2], r[3], (v4u){0, 4, 1, 5});
        v4u t2 = __builtin_shuffle(r[0], r[1], (v4u){2, 6, 3, 7});
        v4u t3 = __builtin_shuffle(r[2], r[3], (v4u){2, 6, 3, 7});
        w[4 * j] = __builtin_shuffle(t0, t1, (v4u){0, 1, 4, 5});
        w[4 * j + 1] = __builtin_shuffle(t0, t1, (v4u){2, 3, 6, 7});
        w[4 * j + 2] = __builtin_shuffle(t2, t3, (v4u){0, 1, 4, 5});
        w[4 * j + 3] = __builtin_shuffle(t2, t3, (v4u){2, 3, 6, 7});
    }
}
DEFINE_KERNEL(compress4, v4u, 4, load4, )

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_AVX2_KERNEL 1
typedef uint32_t v8u __attribute__((vector_size(32)));

/* An 8x8 transpose in three stages of shuffles (unpack 32, unpack 64, swap 128-bit halves). */
__attribute__((target("avx2"))) static inline void load8(v8u w[16], const uint8_t *p[], size_t n) {
    const v8u lo32 = {0, 8, 1, 9, 4, 12, 5, 13}, hi32 = {2, 10, 3, 11, 6, 14, 7, 15};
    const v8u lo64 = {0, 1, 8, 9, 4, 5, 12, 13}, hi64 = {2, 3, 10, 11, 6, 7, 14, 15};
    const v8u lo128 = {0, 1, 2, 3, 8, 9, 10, 11}, hi128 = {4, 5, 6, 7, 12, 13, 14, 15};
    for (int j = 0; j < 2; j++) {
        v8u r[8], s[8], u[8];
        for (int l = 0; l < 8; l++) memcpy(&r[l], p[l] + 64 * n + 32 * j, 32);
        for (int l = 0; l < 8; l += 2) {
            s[l] = __builtin_shuffle(r[l], r[l + 1], lo32);
            s[l + 1] = __builtin_shuffle(r[l], r[l + 1], hi32);
        }
        for (int q = 0; q < 8; q += 4) {
            u[q] = __builtin_shuffle(s[q], s[q + 2], lo64);
            u[q + 1] = __builtin_shuffle(s[q], s[q + 2], hi64);
            u[q + 2] = __builtin_shuffle(s[q + 1], s[q + 3], lo64);
            u[q + 3] = __builtin_shuffle(s[q + 1], s[q + 3], hi64);
        }
        for (int i = 0; i < 4; i++) {
            w[8 * j + i] = __builtin_shuffle(u[i], u[i + 4], lo128);
            w[8 * j + i + 4] = __builtin_shuffle(u[i], u[i + 4], hi128);
        }
    }
}
DEFINE_KERNEL(compress8, v8u, 8, load8, __attribute__((target("avx2"))))
/* No VEX-encoded twin of compress4: GCC's code for it ran 7% slower here than the SSE2 one. */
static int use_avx2;
#else
#define HAVE_AVX2_KERNEL 0
static const int use_avx2 = 0;
#endif

static void ctx_init(md5ctx *ctx) {
    memcpy(ctx->h, INIT, sizeof INIT);
    ctx->length = 0;
    ctx->used = 0;
}

/* Up to a block boundary: the partial block completed (and compressed when whole). Returns how
 * many bytes of p it took. */
static size_t ctx_fill(md5ctx *ctx, const uint8_t *p, size_t n) {
    if (!ctx->used) return 0;
    size_t take = 64 - ctx->used < n ? 64 - ctx->used : n;
    memcpy(ctx->buf + ctx->used, p, take);
    ctx->used += (uint32_t)take;
    if (ctx->used == 64) {
        compress1(ctx->h, ctx->buf, 1);
        ctx->used = 0;
    }
    return take;
}

static void ctx_update(md5ctx *ctx, const uint8_t *p, size_t n) {
    ctx->length += n;
    size_t took = ctx_fill(ctx, p, n);
    p += took;
    n -= took;
    compress1(ctx->h, p, n / 64);
    memcpy(ctx->buf + ctx->used, p + n / 64 * 64, n % 64);
    ctx->used += (uint32_t)(n % 64);
}

static void ctx_final(const md5ctx *src, uint8_t out[16]) {
    md5ctx ctx = *src;
    uint64_t bits = ctx.length * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (ctx.used < 56 ? 56 : 120) - ctx.used;
    uint8_t lenbytes[8];
    for (int i = 0; i < 8; i++) lenbytes[i] = (uint8_t)(bits >> (8 * i));
    ctx_update(&ctx, pad, padlen);
    ctx_update(&ctx, lenbytes, 8);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(ctx.h[i] >> (8 * j));
}

typedef struct {
    md5ctx *ctx;
    const uint8_t *p;
    size_t blocks;
} lane;

/* Every lane's whole blocks: the widest kernel over the lanes that have blocks left, for as
 * many blocks as the shortest of them has; a lane left alone goes on in compress1. */
static void run_lanes(lane *lanes, size_t count) {
    uint32_t spare[8][4];
    for (;;) {
        lane *active[8];
        size_t width = use_avx2 ? 8 : 4, n = 0, least = SIZE_MAX;
        for (size_t i = 0; i < count && n < width; i++)
            if (lanes[i].blocks) {
                active[n++] = &lanes[i];
                if (lanes[i].blocks < least) least = lanes[i].blocks;
            }
        if (n == 0) return;
        if (n == 1) {
            compress1(active[0]->ctx->h, active[0]->p, active[0]->blocks);
            active[0]->p += active[0]->blocks * 64;
            active[0]->blocks = 0;
            return;
        }
        if (n <= 4) width = 4;
        uint32_t *h[8];
        const uint8_t *p[8];
        for (size_t l = 0; l < width; l++) {
            /* Lanes beyond the active ones repeat the first one's blocks into spare states. */
            h[l] = l < n ? active[l]->ctx->h : spare[l];
            p[l] = l < n ? active[l]->p : active[0]->p;
        }
        if (n == 2)
            compress2(h, p, least);
        else
#if HAVE_AVX2_KERNEL
        if (width == 8)
            compress8(h, p, least);
        else
#endif
            compress4(h, p, least);
        for (size_t l = 0; l < n; l++) {
            active[l]->p += least * 64;
            active[l]->blocks -= least;
        }
    }
}

/* ---- Python objects ---- */

typedef struct {
    PyObject_HEAD
    md5ctx ctx;
    int busy; /* in use by a thread without the GIL */
} MD5Object;

static PyTypeObject MD5Type;

/* Above this many bytes an update releases the GIL, as hashlib's does. */
#define GIL_MINSIZE 2048

static int check_idle(MD5Object *self) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "md5 state in use by another thread");
        return -1;
    }
    return 0;
}

static PyObject *MD5_update(MD5Object *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    if (check_idle(self) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    if (view.len >= GIL_MINSIZE) {
        self->busy = 1;
        Py_BEGIN_ALLOW_THREADS
        ctx_update(&self->ctx, view.buf, (size_t)view.len);
        Py_END_ALLOW_THREADS
        self->busy = 0;
    } else {
        ctx_update(&self->ctx, view.buf, (size_t)view.len);
    }
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

static PyObject *MD5_digest(MD5Object *self, PyObject *unused) {
    uint8_t out[16];
    if (check_idle(self) < 0) return NULL;
    ctx_final(&self->ctx, out);
    return PyBytes_FromStringAndSize((const char *)out, 16);
}

static PyObject *MD5_hexdigest(MD5Object *self, PyObject *unused) {
    static const char hex[] = "0123456789abcdef";
    uint8_t out[16];
    char text[32];
    if (check_idle(self) < 0) return NULL;
    ctx_final(&self->ctx, out);
    for (int i = 0; i < 16; i++) {
        text[2 * i] = hex[out[i] >> 4];
        text[2 * i + 1] = hex[out[i] & 15];
    }
    return PyUnicode_FromStringAndSize(text, 32);
}

static PyObject *MD5_copy(MD5Object *self, PyObject *unused) {
    if (check_idle(self) < 0) return NULL;
    MD5Object *copy = PyObject_New(MD5Object, &MD5Type);
    if (copy == NULL) return NULL;
    copy->ctx = self->ctx;
    copy->busy = 0;
    return (PyObject *)copy;
}

static PyObject *MD5_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"data", NULL};
    PyObject *data = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:md5", names, &data)) return NULL;
    MD5Object *self = PyObject_New(MD5Object, type);
    if (self == NULL) return NULL;
    ctx_init(&self->ctx);
    self->busy = 0;
    if (data != NULL) {
        PyObject *result = MD5_update(self, data);
        if (result == NULL) {
            Py_DECREF(self);
            return NULL;
        }
        Py_DECREF(result);
    }
    return (PyObject *)self;
}

static void MD5_dealloc(MD5Object *self) { PyObject_Free(self); }

static PyObject *MD5_get_name(MD5Object *self, void *closure) { return PyUnicode_FromString("md5"); }
static PyObject *MD5_get_digest_size(MD5Object *self, void *closure) { return PyLong_FromLong(16); }
static PyObject *MD5_get_block_size(MD5Object *self, void *closure) { return PyLong_FromLong(64); }

static PyMethodDef MD5_methods[] = {
    {"update", (PyCFunction)MD5_update, METH_O, NULL},
    {"digest", (PyCFunction)MD5_digest, METH_NOARGS, NULL},
    {"hexdigest", (PyCFunction)MD5_hexdigest, METH_NOARGS, NULL},
    {"copy", (PyCFunction)MD5_copy, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef MD5_getset[] = {
    {"name", (getter)MD5_get_name, NULL, NULL, NULL},
    {"digest_size", (getter)MD5_get_digest_size, NULL, NULL, NULL},
    {"block_size", (getter)MD5_get_block_size, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject MD5Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "storage._md5x.md5",
    .tp_basicsize = sizeof(MD5Object),
    .tp_dealloc = (destructor)MD5_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = MD5_methods,
    .tp_getset = MD5_getset,
    .tp_new = MD5_new,
};

static PyObject *update_many(PyObject *module, PyObject *args) {
    PyObject *states, *buffers;
    if (!PyArg_ParseTuple(args, "OO:update_many", &states, &buffers)) return NULL;
    PyObject *sseq = PySequence_Fast(states, "states must be a sequence");
    if (sseq == NULL) return NULL;
    PyObject *bseq = PySequence_Fast(buffers, "buffers must be a sequence");
    if (bseq == NULL) {
        Py_DECREF(sseq);
        return NULL;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(sseq), got = 0;
    PyObject *result = NULL;
    Py_buffer *views = NULL;
    lane *lanes = NULL;
    if (PySequence_Fast_GET_SIZE(bseq) != count) {
        PyErr_SetString(PyExc_ValueError, "as many buffers as states");
        goto done;
    }
    views = PyMem_Calloc((size_t)count + 1, sizeof *views);
    lanes = PyMem_Calloc((size_t)count + 1, sizeof *lanes);
    if (views == NULL || lanes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; got < count; got++) {
        PyObject *state = PySequence_Fast_GET_ITEM(sseq, got);
        if (!PyObject_TypeCheck(state, &MD5Type)) {
            PyErr_SetString(PyExc_TypeError, "states must be md5 objects");
            goto done;
        }
        if (check_idle((MD5Object *)state) < 0) goto done;
        for (Py_ssize_t j = 0; j < got; j++)
            if (lanes[j].ctx == &((MD5Object *)state)->ctx) {
                PyErr_SetString(PyExc_ValueError, "a state given twice");
                goto done;
            }
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(bseq, got), &views[got], PyBUF_SIMPLE) < 0)
            goto done;
        lanes[got].ctx = &((MD5Object *)state)->ctx;
    }
    for (Py_ssize_t i = 0; i < count; i++) ((MD5Object *)PySequence_Fast_GET_ITEM(sseq, i))->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        const uint8_t *p = views[i].buf;
        size_t n = (size_t)views[i].len;
        md5ctx *ctx = lanes[i].ctx;
        ctx->length += n;
        size_t took = ctx_fill(ctx, p, n);
        lanes[i].p = p + took;
        lanes[i].blocks = (n - took) / 64;
    }
    run_lanes(lanes, (size_t)count);
    for (Py_ssize_t i = 0; i < count; i++) {
        size_t n = (size_t)views[i].len, rest;
        const uint8_t *end = (const uint8_t *)views[i].buf + n;
        md5ctx *ctx = lanes[i].ctx;
        /* What is left after the whole blocks: fewer than 64 bytes, into the partial block. */
        rest = (size_t)(end - lanes[i].p);
        if (ctx->used == 0 && rest) {
            memcpy(ctx->buf, lanes[i].p, rest);
            ctx->used = (uint32_t)rest;
        }
    }
    Py_END_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) ((MD5Object *)PySequence_Fast_GET_ITEM(sseq, i))->busy = 0;
    result = Py_None;
    Py_INCREF(result);
done:
    for (Py_ssize_t i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    PyMem_Free(views);
    PyMem_Free(lanes);
    Py_DECREF(sseq);
    Py_DECREF(bseq);
    return result;
}

static PyObject *kernel(PyObject *module, PyObject *unused) {
    return PyUnicode_FromString(use_avx2 ? "avx2" : "vector128");
}

/* For the tests: the 128-bit kernels on a CPU with AVX2. Returns whether AVX2 was in use. */
static PyObject *use_avx2_(PyObject *module, PyObject *arg) {
    int was = use_avx2, on = PyObject_IsTrue(arg);
    if (on < 0) return NULL;
#if HAVE_AVX2_KERNEL
    use_avx2 = on && __builtin_cpu_supports("avx2");
#endif
    return PyBool_FromLong(was);
}

static PyMethodDef module_methods[] = {
    {"update_many", update_many, METH_VARARGS,
     "update_many(states, buffers): each md5 state over its buffer, in lockstep, GIL released."},
    {"kernel", kernel, METH_NOARGS, "The widest kernel in use."},
    {"_use_avx2", use_avx2_, METH_O, "Use the AVX2 kernels (if the CPU has AVX2) or not."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "storage._md5x", "Multi-buffer MD5 (see _md5x.c).", -1, module_methods,
};

PyMODINIT_FUNC PyInit__md5x(void) {
#if HAVE_AVX2_KERNEL
    __builtin_cpu_init();
    /* Chosen here, at run time: the build machine's CPU need not be this one's. */
    use_avx2 = __builtin_cpu_supports("avx2");
#endif
    if (PyType_Ready(&MD5Type) < 0) return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) return NULL;
    Py_INCREF(&MD5Type);
    if (PyModule_AddObject(module, "md5", (PyObject *)&MD5Type) < 0) {
        Py_DECREF(&MD5Type);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
