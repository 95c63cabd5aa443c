/*
 * StatsD UDP load sender for the benchmark (bench/statsd/run.ts builds it with cc -O2).
 *
 *   sender HOST PORT LINES_PER_PACKET PPS SECONDS OFFSET TAGGED [SERIES]
 *
 * PPS 0 sends as fast as possible. OFFSET shifts the series ids so several senders send
 * different series. TAGGED 1 adds DogStatsD tags to half the series. Packets are built once
 * into a pool (same seed, same bytes on every run) and sent with sendmmsg in batches.
 * Prints one JSON object: packets_sent, lines_sent, bytes_sent, seconds, target_pps.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define POOL_PACKETS 4096
#define BATCH 64
#define MAX_LINE 160

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t next_random(void) {
  /* xorshift64*: deterministic, so both servers get identical bytes. */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * One line for series g: counters (1 in 8 sampled at @0.1), gauges, ms timers, sets; with
 * TAGGED, half of the series of each kind carry DogStatsD tags.
 */
static int format_line(char *out, long g, int tagged) {
  char name[64];
  snprintf(name, sizeof name, "app.svc%02ld.requests.metric%03ld", g % 40, g);
  int n;
  switch (g % 4) {
  case 0:
    if (g % 8 == 0)
      n = snprintf(out, MAX_LINE, "%s:1|c|@0.1", name);
    else
      n = snprintf(out, MAX_LINE, "%s:%u|c", name, 1 + next_random() % 5);
    break;
  case 1:
    n = snprintf(out, MAX_LINE, "%s:%u|g", name, next_random() % 10000);
    break;
  case 2:
    n = snprintf(out, MAX_LINE, "%s:%u.%u|ms", name, next_random() % 500, next_random() % 10);
    break;
  default:
    n = snprintf(out, MAX_LINE, "%s:%u|s", name, next_random() % 1000);
    break;
  }
  if (tagged && (g / 4) % 2 == 1) n += snprintf(out + n, MAX_LINE - n, "|#env:prod,service:api");
  return n;
}

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: %s HOST PORT LINES_PER_PACKET PPS SECONDS OFFSET TAGGED [SERIES]\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  int lines_per_packet = atoi(argv[3]);
  double pps = atof(argv[4]);
  double seconds = atof(argv[5]);
  long offset = atol(argv[6]);
  int tagged = atoi(argv[7]);
  long series = argc > 8 ? atol(argv[8]) : 1000;
  if (lines_per_packet < 1 || series < 1 || seconds <= 0) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }

  /* The packet pool: series in turn, values random. */
  size_t packet_cap = (size_t)lines_per_packet * (MAX_LINE + 1);
  char *pool = malloc(packet_cap * POOL_PACKETS);
  size_t *lengths = malloc(sizeof(size_t) * POOL_PACKETS);
  if (pool == NULL || lengths == NULL) return 1;
  long cursor = 0;
  for (int p = 0; p < POOL_PACKETS; p++) {
    char *packet = pool + packet_cap * p;
    size_t len = 0;
    for (int l = 0; l < lines_per_packet; l++) {
      if (l > 0) packet[len++] = '\n';
      len += format_line(packet + len, offset * series + cursor, tagged);
      cursor = (cursor + 1) % series;
    }
    lengths[p] = len;
  }

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "bad host %s\n", host);
    return 2;
  }
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    perror("connect");
    return 1;
  }
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  memset(msgs, 0, sizeof msgs);
  uint64_t sent = 0, bytes = 0, next_packet = 0;
  double start = now_seconds(), end = start + seconds, now = start;
  while ((now = now_seconds()) < end) {
    int want = BATCH;
    if (pps > 0) {
      int64_t due = (int64_t)((now - start) * pps) - (int64_t)sent;
      if (due <= 0) {
        /* Sleep until the next batch is due. */
        double wake = start + (double)(sent + (BATCH < pps / 1000 ? BATCH : 1)) / pps;
        double delay = wake - now;
        if (delay > 0) {
          struct timespec ts = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};
          nanosleep(&ts, NULL);
        }
        continue;
      }
      if (due < want) want = (int)due;
    }
    for (int i = 0; i < want; i++) {
      size_t p = (next_packet + i) % POOL_PACKETS;
      iovs[i].iov_base = pool + packet_cap * p;
      iovs[i].iov_len = lengths[p];
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(fd, msgs, (unsigned)want, 0);
    if (n < 0) {
      /* ECONNREFUSED: an ICMP from a closed port; ENOBUFS/EAGAIN: retry. Either way, not sent. */
      if (errno != ECONNREFUSED && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
        perror("sendmmsg");
        return 1;
      }
      continue;
    }
    for (int i = 0; i < n; i++) bytes += iovs[i].iov_len;
    sent += (uint64_t)n;
    next_packet += (uint64_t)n;
  }
  double elapsed = now - start;
  printf("{\"packets_sent\":%llu,\"lines_sent\":%llu,\"bytes_sent\":%llu,\"seconds\":%.6f,\"target_pps\":%.0f}\n",
         (unsigned long long)sent, (unsigned long long)(sent * (uint64_t)lines_per_packet),
         (unsigned long long)bytes, elapsed, pps);
  return 0;
}
