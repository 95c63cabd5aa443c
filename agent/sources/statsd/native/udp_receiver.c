/*
 * A UDP receiver for the StatsD source that takes up to `slots` datagrams per system call
 * (recvmmsg) and hands the whole batch to JavaScript in one call. node:dgram makes one
 * recvmsg and one JS callback (with a fresh Buffer and rinfo object) per datagram, which on
 * small packets costs more than parsing them.
 *
 * JS API (see native-udp-listener.ts):
 *   open(ip, port, family, recvBufferSize, slots, slotSize, data, lengths, onBatch[, sources])
 *     -> handle
 *   address(handle) -> [ip, port]      drops(handle) -> kernel drops (SO_RXQ_OVFL)
 *   close(handle)
 * Datagram i of a batch lands in data[i * slotSize ...] with its length in lengths[i]
 * (-1 when it was larger than slotSize - 1 bytes, i.e. truncated); onBatch(count) runs
 * synchronously and must consume the batch before it returns.
 *
 * sources (optional, a Uint32Array of slots * SOURCE_WORDS) asks for each datagram's sender:
 * sources[i * 5] is its family (4 or 6; 0 if the kernel gave none), then the address: for
 * IPv4 one word, the address as a host-order integer (IPv4-mapped IPv6 senders are reported
 * as IPv4); for IPv6 four words, the 16 bytes in network order read as host-order words.
 * Without it no sender address is asked of the kernel at all.
 *
 * Errors thrown by open() carry the errno name as their code (EADDRINUSE, EACCES, ...).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

/* Batches per readiness callback: bounds how long one busy socket holds the event loop. */
#define MAX_BATCHES_PER_WAKEUP 8
#define CONTROL_SPACE CMSG_SPACE(sizeof(uint32_t))
/* Words per datagram in the sources array: family, then up to four address words. */
#define SOURCE_WORDS 5

typedef struct {
  int fd;
  uv_poll_t poll;
  napi_env env;
  napi_ref on_batch;
  napi_ref data_ref;
  napi_ref lengths_ref;
  napi_ref sources_ref; /* NULL when sender addresses were not asked for */
  napi_async_context async_context;
  uint8_t *data;
  int32_t *lengths;
  unsigned slots;
  size_t slot_size;
  struct mmsghdr *messages;
  struct iovec *iovecs;
  uint8_t *control;
  struct sockaddr_storage *names; /* one per slot, only with sources */
  uint32_t *sources;
  uint32_t drops;
  int closed;
} receiver_t;

#define CHECK(call)                                                                                  \
  do {                                                                                               \
    if ((call) != napi_ok) return NULL;                                                              \
  } while (0)

/* The errno name becomes the error's code, so JS can tell a taken port (EADDRINUSE) from others. */
static napi_value throw_errno(napi_env env, const char *what) {
  int saved = errno;
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(saved));
  napi_throw_error(env, uv_err_name(uv_translate_sys_error(saved)), message);
  return NULL;
}

static void on_closed(uv_handle_t *handle) {
  receiver_t *r = handle->data;
  napi_delete_reference(r->env, r->on_batch);
  napi_delete_reference(r->env, r->data_ref);
  napi_delete_reference(r->env, r->lengths_ref);
  if (r->sources_ref != NULL) napi_delete_reference(r->env, r->sources_ref);
  napi_async_destroy(r->env, r->async_context);
  free(r->messages);
  free(r->iovecs);
  free(r->control);
  free(r->names);
  free(r);
}

static void prepare_messages(receiver_t *r) {
  for (unsigned i = 0; i < r->slots; i++) {
    r->iovecs[i].iov_base = r->data + i * r->slot_size;
    r->iovecs[i].iov_len = r->slot_size;
    memset(&r->messages[i].msg_hdr, 0, sizeof(struct msghdr));
    r->messages[i].msg_hdr.msg_iov = &r->iovecs[i];
    r->messages[i].msg_hdr.msg_iovlen = 1;
    r->messages[i].msg_hdr.msg_control = r->control + i * CONTROL_SPACE;
    r->messages[i].msg_hdr.msg_controllen = CONTROL_SPACE;
    if (r->names != NULL) {
      r->messages[i].msg_hdr.msg_name = &r->names[i];
      r->messages[i].msg_hdr.msg_namelen = sizeof r->names[i];
    }
  }
}

static const uint8_t V4_MAPPED_PREFIX[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Writes the sender of datagram i into its SOURCE_WORDS words (see the header comment). */
static void write_source(receiver_t *r, unsigned i, const struct msghdr *header) {
  uint32_t *out = r->sources + (size_t)i * SOURCE_WORDS;
  const struct sockaddr_storage *name = &r->names[i];
  if (header->msg_namelen >= sizeof(struct sockaddr_in) && name->ss_family == AF_INET) {
    out[0] = 4;
    out[1] = ntohl(((const struct sockaddr_in *)name)->sin_addr.s_addr);
  } else if (header->msg_namelen >= sizeof(struct sockaddr_in6) && name->ss_family == AF_INET6) {
    const uint8_t *bytes = ((const struct sockaddr_in6 *)name)->sin6_addr.s6_addr;
    if (memcmp(bytes, V4_MAPPED_PREFIX, sizeof V4_MAPPED_PREFIX) == 0) {
      out[0] = 4;
      out[1] = ((uint32_t)bytes[12] << 24) | ((uint32_t)bytes[13] << 16) | ((uint32_t)bytes[14] << 8) | bytes[15];
    } else {
      out[0] = 6;
      memcpy(out + 1, bytes, 16);
    }
  } else {
    out[0] = 0;
  }
}

static void read_drops(receiver_t *r, struct msghdr *header) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(header); c != NULL; c = CMSG_NXTHDR(header, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) memcpy(&r->drops, CMSG_DATA(c), sizeof r->drops);
  }
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  receiver_t *r = poll->data;
  (void)events;
  if (status < 0 || r->closed) return;
  napi_env env = r->env;
  for (int batch = 0; batch < MAX_BATCHES_PER_WAKEUP && !r->closed; batch++) {
    prepare_messages(r);
    int count = recvmmsg(r->fd, r->messages, r->slots, MSG_DONTWAIT, NULL);
    if (count <= 0) return; /* EAGAIN: drained; other errors: try again on the next wakeup */
    for (int i = 0; i < count; i++) {
      struct msghdr *header = &r->messages[i].msg_hdr;
      r->lengths[i] = (header->msg_flags & MSG_TRUNC) ? -1 : (int32_t)r->messages[i].msg_len;
      if (header->msg_controllen > 0) read_drops(r, header);
      if (r->sources != NULL) write_source(r, (unsigned)i, header);
    }
    napi_handle_scope scope;
    napi_open_handle_scope(env, &scope);
    napi_value callback, receiver, argument, result;
    napi_get_reference_value(env, r->on_batch, &callback);
    napi_get_global(env, &receiver);
    napi_create_int32(env, count, &argument);
    napi_status called = napi_make_callback(env, r->async_context, receiver, callback, 1, &argument, &result);
    if (called == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
    napi_close_handle_scope(env, scope);
    if ((unsigned)count < r->slots) return;
  }
}

static int bind_socket(const char *ip, int port, int family, int recv_buffer, int *fd_out) {
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (recv_buffer > 0) {
    /* FORCE passes net.core.rmem_max when privileged; otherwise the capped request stands. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &recv_buffer, sizeof recv_buffer) != 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &recv_buffer, sizeof recv_buffer);
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  int rc;
  if (family == 6) {
    struct sockaddr_in6 address = {0};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, ip, &address.sin6_addr) != 1) {
      close(fd);
      errno = EINVAL;
      return -1;
    }
    rc = bind(fd, (struct sockaddr *)&address, sizeof address);
  } else {
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, ip, &address.sin_addr) != 1) {
      close(fd);
      errno = EINVAL;
      return -1;
    }
    rc = bind(fd, (struct sockaddr *)&address, sizeof address);
  }
  if (rc != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  *fd_out = fd;
  return 0;
}

static napi_value open_receiver(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9) {
    napi_throw_type_error(env, NULL,
                          "open(ip, port, family, recvBufferSize, slots, slotSize, data, lengths, onBatch[, sources])");
    return NULL;
  }
  char ip[64];
  size_t ip_length;
  int32_t port, family, recv_buffer, slots, slot_size;
  CHECK(napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &ip_length));
  CHECK(napi_get_value_int32(env, argv[1], &port));
  CHECK(napi_get_value_int32(env, argv[2], &family));
  CHECK(napi_get_value_int32(env, argv[3], &recv_buffer));
  CHECK(napi_get_value_int32(env, argv[4], &slots));
  CHECK(napi_get_value_int32(env, argv[5], &slot_size));
  void *data;
  size_t data_length;
  CHECK(napi_get_buffer_info(env, argv[6], &data, &data_length));
  napi_typedarray_type lengths_type;
  size_t lengths_count;
  void *lengths;
  CHECK(napi_get_typedarray_info(env, argv[7], &lengths_type, &lengths_count, &lengths, NULL, NULL));
  if (slots <= 0 || slot_size <= 0 || data_length < (size_t)slots * (size_t)slot_size || lengths_type != napi_int32_array ||
      lengths_count < (size_t)slots) {
    napi_throw_range_error(env, NULL, "data must hold slots * slotSize bytes and lengths slots int32s");
    return NULL;
  }
  void *sources = NULL;
  napi_valuetype sources_kind = napi_undefined;
  if (argc >= 10) CHECK(napi_typeof(env, argv[9], &sources_kind));
  if (sources_kind != napi_undefined && sources_kind != napi_null) {
    napi_typedarray_type sources_type;
    size_t sources_count;
    CHECK(napi_get_typedarray_info(env, argv[9], &sources_type, &sources_count, &sources, NULL, NULL));
    if (sources_type != napi_uint32_array || sources_count < (size_t)slots * SOURCE_WORDS) {
      napi_throw_range_error(env, NULL, "sources must be a Uint32Array of slots * 5 words");
      return NULL;
    }
  }

  int fd;
  if (bind_socket(ip, port, family, recv_buffer, &fd) != 0) return throw_errno(env, "bind");

  receiver_t *r = calloc(1, sizeof *r);
  r->fd = fd;
  r->env = env;
  r->data = data;
  r->lengths = lengths;
  r->slots = (unsigned)slots;
  r->slot_size = (size_t)slot_size;
  r->messages = calloc((size_t)slots, sizeof *r->messages);
  r->iovecs = calloc((size_t)slots, sizeof *r->iovecs);
  r->control = calloc((size_t)slots, CONTROL_SPACE);
  if (sources != NULL) {
    r->sources = sources;
    r->names = calloc((size_t)slots, sizeof *r->names);
    napi_create_reference(env, argv[9], 1, &r->sources_ref);
  }
  napi_create_reference(env, argv[8], 1, &r->on_batch);
  napi_create_reference(env, argv[6], 1, &r->data_ref);
  napi_create_reference(env, argv[7], 1, &r->lengths_ref);
  napi_value resource_name;
  napi_create_string_utf8(env, "corral.udp", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &r->async_context);

  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &r->poll, fd);
  r->poll.data = r;
  uv_poll_start(&r->poll, UV_READABLE, on_readable);

  napi_value handle;
  CHECK(napi_create_external(env, r, NULL, NULL, &handle));
  return handle;
}

static receiver_t *unwrap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *r = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  if (napi_get_value_external(env, argv[0], &r) != napi_ok) return NULL;
  return r;
}

static napi_value receiver_address(napi_env env, napi_callback_info info) {
  receiver_t *r = unwrap(env, info);
  if (r == NULL || r->closed) return NULL;
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  if (getsockname(r->fd, (struct sockaddr *)&address, &length) != 0) return throw_errno(env, "getsockname");
  char ip[INET6_ADDRSTRLEN];
  int port;
  if (address.ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&address;
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    port = ntohs(a->sin6_port);
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&address;
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    port = ntohs(a->sin_port);
  }
  napi_value result, ip_value, port_value;
  napi_create_array_with_length(env, 2, &result);
  napi_create_string_utf8(env, ip, NAPI_AUTO_LENGTH, &ip_value);
  napi_create_int32(env, port, &port_value);
  napi_set_element(env, result, 0, ip_value);
  napi_set_element(env, result, 1, port_value);
  return result;
}

static napi_value receiver_drops(napi_env env, napi_callback_info info) {
  receiver_t *r = unwrap(env, info);
  if (r == NULL) return NULL;
  napi_value result;
  napi_create_uint32(env, r->drops, &result);
  return result;
}

/* Takes whatever is already queued in the kernel, then stops: nothing received is left behind. */
static napi_value receiver_close(napi_env env, napi_callback_info info) {
  receiver_t *r = unwrap(env, info);
  if (r == NULL || r->closed) return NULL;
  on_readable(&r->poll, 0, UV_READABLE);
  r->closed = 1;
  uv_poll_stop(&r->poll);
  close(r->fd);
  uv_close((uv_handle_t *)&r->poll, on_closed);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"open", NULL, open_receiver, NULL, NULL, NULL, napi_default, NULL},
      {"address", NULL, receiver_address, NULL, NULL, NULL, napi_default, NULL},
      {"drops", NULL, receiver_drops, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, receiver_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
