/*
 * @weft/mpi's Node-API addon: Open MPI's collectives on typed arrays, in place (the data pointer of
 * any Float32Array, Float64Array, Int32Array or Uint8Array: over an ArrayBuffer, a
 * SharedArrayBuffer or a shared WebAssembly.Memory, at any offset; nothing is copied).
 *
 * Threads: MPI is initialised once per process at MPI_THREAD_MULTIPLE (init(), on the main
 * thread), which also duplicates MPI_COMM_WORLD into `channels` communicators. Channel c is used
 * by one thread at a time (in weft: worker c of every process), so the W worker_threads of a
 * process run their collectives concurrently, each with its counterparts in the other processes.
 * The collectives here are synchronous: they block (and busy-poll) the calling thread, so call
 * them from a worker_thread; barrierAsync is the one for the main thread.
 *
 * Errors: communicators return errors (MPI_ERRORS_RETURN), thrown as JS errors naming the rank.
 * MPI counts are int: allReduce and bcast go in chunks of INT_MAX elements.
 */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>
#include <node_api.h>

#define MAX_CHANNELS 1024

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int provided = -1;
static int world_rank = 0, world_size = 1;
static int nchannels = 0;
static MPI_Comm channels[MAX_CHANNELS];

typedef struct {
  void* data;
  size_t length;
  size_t elem;
  MPI_Datatype type;
  napi_typedarray_type kind;
} Buf;

static napi_value fail(napi_env env, const char* fmt, const char* a, const char* b) {
  char msg[512];
  snprintf(msg, sizeof msg, fmt, a, b);
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static napi_value fail_mpi(napi_env env, const char* what, int err) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(err, text, &len);
  char msg[MPI_MAX_ERROR_STRING + 160];
  snprintf(msg, sizeof msg, "@weft/mpi: %s failed on MPI rank %d of %d: %s", what, world_rank, world_size, text);
  napi_throw_error(env, "EMPI", msg);
  return NULL;
}

static bool is_initialized(void) {
  int flag = 0, done = 0;
  MPI_Initialized(&flag);
  MPI_Finalized(&done);
  return flag && !done;
}

/* argv[i] as a typed array of a type MPI knows; false (with a JS error thrown) otherwise. */
static bool get_buf(napi_env env, napi_value v, Buf* out, const char* fn, const char* name) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) {
    fail(env, "@weft/mpi %s: %s must be a Float32Array, Float64Array, Int32Array or Uint8Array", fn, name);
    return false;
  }
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &out->kind, &out->length, &out->data, &ab, &offset) != napi_ok) {
    fail(env, "@weft/mpi %s: could not read %s", fn, name);
    return false;
  }
  switch (out->kind) {
    case napi_float32_array: out->type = MPI_FLOAT; out->elem = 4; break;
    case napi_float64_array: out->type = MPI_DOUBLE; out->elem = 8; break;
    case napi_int32_array: out->type = MPI_INT32_T; out->elem = 4; break;
    case napi_uint8_array: out->type = MPI_UINT8_T; out->elem = 1; break;
    default:
      fail(env, "@weft/mpi %s: %s must be a Float32Array, Float64Array, Int32Array or Uint8Array", fn, name);
      return false;
  }
  return true;
}

static bool get_int(napi_env env, napi_value v, int32_t* out, const char* fn, const char* name) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    fail(env, "@weft/mpi %s: %s must be an integer", fn, name);
    return false;
  }
  return true;
}

static bool get_channel(napi_env env, napi_value v, MPI_Comm* comm, const char* fn) {
  int32_t c;
  if (!get_int(env, v, &c, fn, "channel")) return false;
  if (!is_initialized()) {
    fail(env, "@weft/mpi %s: MPI is not initialised: call init(channels) on the main thread first%s", fn, "");
    return false;
  }
  if (c < 0 || c >= nchannels) {
    char what[64];
    snprintf(what, sizeof what, "%d (init made %d)", c, nchannels);
    fail(env, "@weft/mpi %s: no channel %s", fn, what);
    return false;
  }
  *comm = channels[c];
  return true;
}

static size_t get_args(napi_env env, napi_callback_info info, napi_value* argv, size_t max) {
  size_t argc = max;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  for (size_t i = argc; i < max; i++) napi_get_undefined(env, &argv[i]);
  return argc;
}

static napi_value set_int(napi_env env, napi_value obj, const char* key, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  napi_set_named_property(env, obj, key, v);
  return obj;
}

static napi_value info_object(napi_env env) {
  napi_value obj, b;
  napi_create_object(env, &obj);
  bool init = is_initialized();
  napi_get_boolean(env, init, &b);
  napi_set_named_property(env, obj, "initialized", b);
  set_int(env, obj, "rank", world_rank);
  set_int(env, obj, "size", world_size);
  set_int(env, obj, "channels", nchannels);
  set_int(env, obj, "threadLevel", provided);
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(version, &len);
  napi_value s;
  napi_create_string_utf8(env, version, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, obj, "library", s);
  return obj;
}

/* init(channels): MPI_Init_thread(MULTIPLE) once, then MPI_COMM_WORLD duplicated up to `channels` times. Collective: every rank, the same channels. */
static napi_value Init(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t want = 1;
  if (get_args(env, info, argv, 1) >= 1 && !get_int(env, argv[0], &want, "init", "channels")) return NULL;
  if (want < 1 || want > MAX_CHANNELS) return fail(env, "@weft/mpi init: channels must be 1 to 1024, got %s%s", "another number", "");
  pthread_mutex_lock(&lock);
  int err = MPI_SUCCESS;
  int flag = 0, done = 0;
  MPI_Finalized(&done);
  if (done) {
    pthread_mutex_unlock(&lock);
    return fail(env, "@weft/mpi init: MPI was already finalised in this process (it cannot start again)%s%s", "", "");
  }
  MPI_Initialized(&flag);
  if (!flag) {
    err = MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided);
    if (err == MPI_SUCCESS) {
      MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
      MPI_Comm_size(MPI_COMM_WORLD, &world_size);
      MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    }
  }
  /* Every rank must ask for the same channels (Comm_dup is collective): check first, so a mismatch
   * is an error on every rank rather than a hang in MPI_Comm_dup. */
  int range[2] = {want, -want};
  if (err == MPI_SUCCESS) err = MPI_Allreduce(MPI_IN_PLACE, range, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (err == MPI_SUCCESS && range[0] != -range[1]) {
    pthread_mutex_unlock(&lock);
    char what[96];
    snprintf(what, sizeof what, "from %d to %d", -range[1], range[0]);
    return fail(env, "@weft/mpi init: the ranks asked for different numbers of channels (%s): every process of the job must call init with the same number (the same workers)%s", what, "");
  }
  while (err == MPI_SUCCESS && nchannels < want) {
    err = MPI_Comm_dup(MPI_COMM_WORLD, &channels[nchannels]);
    if (err == MPI_SUCCESS) MPI_Comm_set_errhandler(channels[nchannels++], MPI_ERRORS_RETURN);
  }
  pthread_mutex_unlock(&lock);
  if (err != MPI_SUCCESS) return fail_mpi(env, "init", err);
  if (provided < MPI_THREAD_MULTIPLE)
    return fail(env, "@weft/mpi init: this MPI library does not provide MPI_THREAD_MULTIPLE (rebuild Open MPI with thread support, or %s)%s", "apt-get install -y openmpi-bin libopenmpi-dev", "");
  return info_object(env);
}

static napi_value Info(napi_env env, napi_callback_info info) {
  (void)info;
  return info_object(env);
}

static bool get_op(napi_env env, napi_value v, MPI_Op* op) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  *op = MPI_SUM;
  if (t == napi_undefined) return true;
  char s[8] = {0};
  size_t len;
  if (t != napi_string || napi_get_value_string_utf8(env, v, s, sizeof s, &len) != napi_ok) goto bad;
  if (strcmp(s, "sum") == 0) return true;
  if (strcmp(s, "max") == 0) { *op = MPI_MAX; return true; }
  if (strcmp(s, "min") == 0) { *op = MPI_MIN; return true; }
bad:
  fail(env, "@weft/mpi allReduce: op must be \"sum\", \"max\" or \"min\"%s%s", "", "");
  return false;
}


/*
 * An optional watch on a blocking collective (trailing arguments `flag, timeoutMs`): the call is
 * then made nonblocking (MPI_I…) and this thread polls MPI_Test, returning early when flag[0]
 * becomes non-zero (the caller's run was aborted: it can unwind, and its thread can end) or when
 * timeoutMs pass (a peer that stays alive but never joins). Collectives cannot be cancelled: the
 * request stays pending, so after an early return the process must end (the caller aborts the job).
 */
typedef struct {
  volatile int32_t* flag;
  double timeout_ms;
  bool on;
} Watch;

enum { WAIT_DONE = 0, WAIT_ABORTED = -1, WAIT_TIMEOUT = -2 };

static bool get_watch(napi_env env, napi_value flag, napi_value timeout, Watch* w, const char* fn) {
  napi_valuetype t;
  w->flag = NULL;
  w->timeout_ms = 0;
  w->on = false;
  napi_typeof(env, flag, &t);
  if (t != napi_undefined && t != napi_null) {
    Buf b;
    if (!get_buf(env, flag, &b, fn, "flag") || b.kind != napi_int32_array || b.length < 1) {
      fail(env, "@weft/mpi %s: flag must be an Int32Array of at least one value (over a SharedArrayBuffer)%s", fn, "");
      return false;
    }
    w->flag = (volatile int32_t*)b.data;
    w->on = true;
  }
  napi_typeof(env, timeout, &t);
  if (t != napi_undefined) {
    if (napi_get_value_double(env, timeout, &w->timeout_ms) != napi_ok || !(w->timeout_ms >= 0)) {
      fail(env, "@weft/mpi %s: timeoutMs must be a number ≥ 0 (0: none)%s", fn, "");
      return false;
    }
    w->on = true;
  }
  return true;
}

/* Polls `req` to completion; WAIT_ABORTED / WAIT_TIMEOUT per the watch, else an MPI error code. */
static int wait_request(MPI_Request* req, const Watch* w) {
  double t0 = MPI_Wtime();
  unsigned spins = 0;
  for (;;) {
    int done = 0;
    int err = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (err != MPI_SUCCESS) return err;
    if (done) return WAIT_DONE;
    if (w->flag && __atomic_load_n(w->flag, __ATOMIC_SEQ_CST) != 0) return WAIT_ABORTED;
    if (w->timeout_ms > 0 && (++spins & 255) == 0 && (MPI_Wtime() - t0) * 1000 > w->timeout_ms) return WAIT_TIMEOUT;
  }
}

/* Throws for a failed watched wait (or plain MPI error); NULL either way. */
static napi_value fail_wait(napi_env env, const char* what, int code, const Watch* w) {
  char msg[256];
  if (code == WAIT_ABORTED) {
    snprintf(msg, sizeof msg, "@weft/mpi: %s on MPI rank %d gave up: the run was aborted", what, world_rank);
    napi_throw_error(env, "EMPI_ABORTED", msg);
    return NULL;
  }
  if (code == WAIT_TIMEOUT) {
    snprintf(msg, sizeof msg, "@weft/mpi: %s on MPI rank %d did not complete within %.0f ms", what, world_rank, w->timeout_ms);
    napi_throw_error(env, "EMPI_TIMEOUT", msg);
    return NULL;
  }
  return fail_mpi(env, what, code);
}

/* allReduce(channel, data, op = "sum", flag?, timeoutMs?): in place (MPI_IN_PLACE), every rank ends with the same values. */
static napi_value AllReduce(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  get_args(env, info, argv, 5);
  MPI_Comm comm;
  Buf b;
  MPI_Op op;
  Watch w;
  if (!get_channel(env, argv[0], &comm, "allReduce") || !get_buf(env, argv[1], &b, "allReduce", "data") || !get_op(env, argv[2], &op) || !get_watch(env, argv[3], argv[4], &w, "allReduce")) return NULL;
  for (size_t at = 0; at < b.length;) {
    int n = b.length - at > INT_MAX ? INT_MAX : (int)(b.length - at);
    void* p = (char*)b.data + at * b.elem;
    int err;
    if (w.on) {
      MPI_Request req;
      err = MPI_Iallreduce(MPI_IN_PLACE, p, n, b.type, op, comm, &req);
      if (err == MPI_SUCCESS) err = wait_request(&req, &w);
    } else {
      err = MPI_Allreduce(MPI_IN_PLACE, p, n, b.type, op, comm);
    }
    if (err != MPI_SUCCESS) return fail_wait(env, "MPI_Allreduce", err, &w);
    at += n;
  }
  return NULL;
}

/*
 * reduceScatterBlock(channel, send, recv): recv (n values) = Σ over ranks of send[rank·n, rank·n+n)
 * (send: size·n values). send === recv's memory: MPI_IN_PLACE (the result in its first n values).
 */
static napi_value ReduceScatterBlock(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  get_args(env, info, argv, 3);
  MPI_Comm comm;
  Buf s, r;
  if (!get_channel(env, argv[0], &comm, "reduceScatterBlock") || !get_buf(env, argv[1], &s, "reduceScatterBlock", "send") || !get_buf(env, argv[2], &r, "reduceScatterBlock", "recv")) return NULL;
  if (s.kind != r.kind) return fail(env, "@weft/mpi reduceScatterBlock: send and recv must be the same kind of typed array%s%s", "", "");
  bool in_place = s.data == r.data;
  size_t n = in_place ? s.length / world_size : r.length;
  if (s.length != n * (size_t)world_size) {
    char what[96];
    snprintf(what, sizeof what, "%zu values, not %d × %zu", s.length, world_size, n);
    return fail(env, "@weft/mpi reduceScatterBlock: send has %s (world size × recv's length)%s", what, "");
  }
  if (n > INT_MAX) return fail(env, "@weft/mpi reduceScatterBlock: blocks of more than 2^31 − 1 values%s%s", "", "");
  int err = MPI_Reduce_scatter_block(in_place ? MPI_IN_PLACE : s.data, r.data, (int)n, s.type, MPI_SUM, comm);
  if (err != MPI_SUCCESS) return fail_mpi(env, "MPI_Reduce_scatter_block", err);
  return NULL;
}

/* allGather(channel, send | null, recv): recv[rank·n, rank·n+n) = each rank's send; null send: in place (own block already in recv). */
static napi_value AllGather(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  get_args(env, info, argv, 3);
  MPI_Comm comm;
  Buf s = {0}, r;
  napi_valuetype t;
  if (!get_channel(env, argv[0], &comm, "allGather")) return NULL;
  napi_typeof(env, argv[1], &t);
  bool in_place = t == napi_null || t == napi_undefined;
  if ((!in_place && !get_buf(env, argv[1], &s, "allGather", "send")) || !get_buf(env, argv[2], &r, "allGather", "recv")) return NULL;
  size_t n = r.length / world_size;
  if (r.length != n * (size_t)world_size || (!in_place && (s.length != n || s.kind != r.kind))) {
    char what[96];
    snprintf(what, sizeof what, "recv %zu values, send %zu, world size %d", r.length, s.length, world_size);
    return fail(env, "@weft/mpi allGather: recv must hold world size × send's values of the same type (%s)%s", what, "");
  }
  if (n > INT_MAX) return fail(env, "@weft/mpi allGather: blocks of more than 2^31 − 1 values%s%s", "", "");
  int err = MPI_Allgather(in_place ? MPI_IN_PLACE : s.data, (int)n, r.type, r.data, (int)n, r.type, comm);
  if (err != MPI_SUCCESS) return fail_mpi(env, "MPI_Allgather", err);
  return NULL;
}

/* bcast(channel, data, root, flag?, timeoutMs?): every rank's data = root's. */
static napi_value Bcast(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  get_args(env, info, argv, 5);
  MPI_Comm comm;
  Buf b;
  int32_t root;
  Watch w;
  if (!get_channel(env, argv[0], &comm, "bcast") || !get_buf(env, argv[1], &b, "bcast", "data") || !get_int(env, argv[2], &root, "bcast", "root") || !get_watch(env, argv[3], argv[4], &w, "bcast")) return NULL;
  if (root < 0 || root >= world_size) return fail(env, "@weft/mpi bcast: root is not a rank of the world%s%s", "", "");
  for (size_t at = 0; at < b.length;) {
    int n = b.length - at > INT_MAX ? INT_MAX : (int)(b.length - at);
    void* p = (char*)b.data + at * b.elem;
    int err;
    if (w.on) {
      MPI_Request req;
      err = MPI_Ibcast(p, n, b.type, root, comm, &req);
      if (err == MPI_SUCCESS) err = wait_request(&req, &w);
    } else {
      err = MPI_Bcast(p, n, b.type, root, comm);
    }
    if (err != MPI_SUCCESS) return fail_wait(env, "MPI_Bcast", err, &w);
    at += n;
  }
  return NULL;
}

/* barrier(channel, flag?, timeoutMs?) */
static napi_value Barrier(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  get_args(env, info, argv, 3);
  MPI_Comm comm;
  Watch w;
  if (!get_channel(env, argv[0], &comm, "barrier") || !get_watch(env, argv[1], argv[2], &w, "barrier")) return NULL;
  int err;
  if (w.on) {
    MPI_Request req;
    err = MPI_Ibarrier(comm, &req);
    if (err == MPI_SUCCESS) err = wait_request(&req, &w);
  } else {
    err = MPI_Barrier(comm);
  }
  if (err != MPI_SUCCESS) return fail_wait(env, "MPI_Barrier", err, &w);
  return NULL;
}

/* barrierAsync(channel): a Promise; the barrier waits on a libuv pool thread, not the caller's. */
typedef struct {
  MPI_Comm comm;
  int err;
  napi_deferred deferred;
  napi_async_work work;
} BarrierWork;

static void barrier_execute(napi_env env, void* data) {
  (void)env;
  BarrierWork* w = data;
  w->err = MPI_Barrier(w->comm);
}

static void barrier_complete(napi_env env, napi_status status, void* data) {
  BarrierWork* w = data;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  if (status == napi_ok && w->err == MPI_SUCCESS) {
    napi_resolve_deferred(env, w->deferred, undefined);
  } else {
    char text[MPI_MAX_ERROR_STRING] = "cancelled";
    int len = 0;
    if (w->err != MPI_SUCCESS) MPI_Error_string(w->err, text, &len);
    char msg[MPI_MAX_ERROR_STRING + 96];
    snprintf(msg, sizeof msg, "@weft/mpi barrierAsync failed on MPI rank %d: %s", world_rank, text);
    napi_value m, e;
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_error(env, NULL, m, &e);
    napi_reject_deferred(env, w->deferred, e);
  }
  napi_delete_async_work(env, w->work);
  free(w);
}

static napi_value BarrierAsync(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, argv, 1);
  MPI_Comm comm;
  if (!get_channel(env, argv[0], &comm, "barrierAsync")) return NULL;
  BarrierWork* w = calloc(1, sizeof *w);
  w->comm = comm;
  napi_value promise, name;
  napi_create_promise(env, &w->deferred, &promise);
  napi_create_string_utf8(env, "weft_mpi.barrier", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, barrier_execute, barrier_complete, w, &w->work);
  napi_queue_async_work(env, w->work);
  return promise;
}

/* abort(code, message): the message on stderr, then MPI_Abort of the whole job (every rank ends). */
static napi_value Abort(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  int32_t code = 1;
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  if (t != napi_undefined && !get_int(env, argv[0], &code, "abort", "code")) return NULL;
  napi_typeof(env, argv[1], &t);
  if (t == napi_string) {
    char msg[4096];
    size_t len;
    napi_get_value_string_utf8(env, argv[1], msg, sizeof msg, &len);
    fprintf(stderr, "%s\n", msg);
  }
  fflush(stderr);
  fflush(stdout);
  if (is_initialized()) MPI_Abort(MPI_COMM_WORLD, code);
  exit(code);
  return NULL;
}

/* finalize(): MPI_Finalize (blocks until every rank finalises). Every exit path of a rank must call it: an exit without it aborts the job. */
static napi_value Finalize(napi_env env, napi_callback_info info) {
  (void)info;
  pthread_mutex_lock(&lock);
  int err = MPI_SUCCESS;
  if (is_initialized()) {
    for (int i = 0; i < nchannels; i++) MPI_Comm_free(&channels[i]);
    nchannels = 0;
    err = MPI_Finalize();
  }
  pthread_mutex_unlock(&lock);
  if (err != MPI_SUCCESS) return fail_mpi(env, "MPI_Finalize", err);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"init", NULL, Init, NULL, NULL, NULL, napi_enumerable, NULL},
    {"info", NULL, Info, NULL, NULL, NULL, napi_enumerable, NULL},
    {"allReduce", NULL, AllReduce, NULL, NULL, NULL, napi_enumerable, NULL},
    {"reduceScatterBlock", NULL, ReduceScatterBlock, NULL, NULL, NULL, napi_enumerable, NULL},
    {"allGather", NULL, AllGather, NULL, NULL, NULL, napi_enumerable, NULL},
    {"bcast", NULL, Bcast, NULL, NULL, NULL, napi_enumerable, NULL},
    {"barrier", NULL, Barrier, NULL, NULL, NULL, napi_enumerable, NULL},
    {"barrierAsync", NULL, BarrierAsync, NULL, NULL, NULL, napi_enumerable, NULL},
    {"abort", NULL, Abort, NULL, NULL, NULL, napi_enumerable, NULL},
    {"finalize", NULL, Finalize, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
