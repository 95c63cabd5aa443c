/*
 * A Kafka broker for tests: librdkafka's mock cluster behind a line protocol.
 *
 *   cc -O2 -o mock_broker mock_broker.c -lrdkafka
 *   ./mock_broker [broker_count]
 *
 * Starts a mock cluster of broker_count brokers (ids 1..broker_count, default 1) listening
 * on 127.0.0.1, prints {"bootstrap":"127.0.0.1:port,..."} on stdout, then answers each
 * command line on stdin with one JSON line, {"ok":true} or {"ok":false,"error":"..."}:
 *
 *   down <broker_id>                           disconnect the broker, refuse new connections
 *   up <broker_id>                             accept connections again
 *   rtt <broker_id> <ms>                       delay every response of the broker by ms
 *   errors <api_key> <error_code> <count>      the next count requests of that API fail with that code
 *   topic <name> <partitions> <replication>    create a topic
 *   quit                                       destroy the cluster and exit 0
 *
 * A broker_id of -1 means every broker. Exits 0 on end of stdin too. librdkafka's own log
 * goes to stderr. See README.md beside this file.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define LINE_MAX_LEN 4096
#define MAX_ERRORS 100000

static void reply_ok(void) {
  fputs("{\"ok\":true}\n", stdout);
  fflush(stdout);
}

/* Writes s as the body of a JSON string. */
static void json_escape(FILE *out, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(out, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(out, "\\u%04x", *p);
    else
      fputc(*p, out);
  }
}

static void reply_error(const char *fmt, const char *arg) {
  char msg[LINE_MAX_LEN + 256];
  snprintf(msg, sizeof(msg), fmt, arg);
  fputs("{\"ok\":false,\"error\":\"", stdout);
  json_escape(stdout, msg);
  fputs("\"}\n", stdout);
  fflush(stdout);
}

static void reply_err(rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
    reply_ok();
  else
    reply_error("%s", rd_kafka_err2str(err));
}

/* Parses a whole decimal integer token into [min, max]; returns 0 on success. */
static int parse_long(const char *tok, long min, long max, long *out) {
  char *end;
  if (!tok || !*tok)
    return -1;
  errno = 0;
  long v = strtol(tok, &end, 10);
  if (errno || *end || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  fprintf(stderr, "mock_broker: librdkafka %d %s: %s\n", level, fac, buf);
}

int main(int argc, char **argv) {
  long broker_cnt = 1;
  char errstr[512];

  if (argc > 2 || (argc == 2 && parse_long(argv[1], 1, 64, &broker_cnt))) {
    fprintf(stderr, "usage: %s [broker_count 1..64]\n", argv[0]);
    return 2;
  }

  /* The cluster lives in an rd_kafka_t; a producer that never connects anywhere will do. */
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, log_cb);
  /* Warnings only: the handle has no bootstrap.servers, which it would otherwise note. */
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "mock_broker: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) {
    fprintf(stderr, "mock_broker: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk, (int)broker_cnt);
  if (!mcluster) {
    fprintf(stderr, "mock_broker: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }

  fputs("{\"bootstrap\":\"", stdout);
  json_escape(stdout, rd_kafka_mock_cluster_bootstraps(mcluster));
  fputs("\"}\n", stdout);
  fflush(stdout);

  char line[LINE_MAX_LEN];
  while (fgets(line, sizeof(line), stdin)) {
    size_t len = strlen(line);
    if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
      int c;
      while ((c = getchar()) != EOF && c != '\n')
        ;
      reply_error("%s", "command line too long");
      continue;
    }

    char *save = NULL;
    char *cmd = strtok_r(line, " \t\r\n", &save);
    char *a1 = strtok_r(NULL, " \t\r\n", &save);
    char *a2 = strtok_r(NULL, " \t\r\n", &save);
    char *a3 = strtok_r(NULL, " \t\r\n", &save);
    char *extra = strtok_r(NULL, " \t\r\n", &save);
    long id, n1, n2;

    if (!cmd) {
      reply_error("%s", "empty command");
    } else if (!strcmp(cmd, "quit")) {
      reply_ok();
      break;
    } else if (!strcmp(cmd, "down") || !strcmp(cmd, "up")) {
      if (a2 || parse_long(a1, -1, INT32_MAX, &id))
        reply_error("usage: %s <broker_id>", cmd);
      else if (!strcmp(cmd, "down"))
        reply_err(rd_kafka_mock_broker_set_down(mcluster, (int32_t)id));
      else
        reply_err(rd_kafka_mock_broker_set_up(mcluster, (int32_t)id));
    } else if (!strcmp(cmd, "rtt")) {
      if (a3 || parse_long(a1, -1, INT32_MAX, &id) || parse_long(a2, 0, INT_MAX, &n1))
        reply_error("%s", "usage: rtt <broker_id> <ms>");
      else
        reply_err(rd_kafka_mock_broker_set_rtt(mcluster, (int32_t)id, (int)n1));
    } else if (!strcmp(cmd, "errors")) {
      if (extra || parse_long(a1, 0, INT16_MAX, &id) || parse_long(a2, INT16_MIN, INT16_MAX, &n1) ||
          parse_long(a3, 1, MAX_ERRORS, &n2)) {
        reply_error("%s", "usage: errors <api_key> <error_code> <count 1..100000>");
      } else {
        rd_kafka_resp_err_t *errs = malloc(sizeof(*errs) * (size_t)n2);
        if (!errs) {
          reply_error("%s", "out of memory");
          continue;
        }
        for (long i = 0; i < n2; i++)
          errs[i] = (rd_kafka_resp_err_t)n1;
        rd_kafka_mock_push_request_errors_array(mcluster, (int16_t)id, (size_t)n2, errs);
        free(errs);
        reply_ok();
      }
    } else if (!strcmp(cmd, "topic")) {
      if (!a1 || extra || parse_long(a2, 1, 100000, &n1) || parse_long(a3, 1, 64, &n2))
        reply_error("%s", "usage: topic <name> <partitions> <replication>");
      else
        reply_err(rd_kafka_mock_topic_create(mcluster, a1, (int)n1, (int)n2));
    } else {
      reply_error("unknown command: %s (down, up, rtt, errors, topic, quit)", cmd);
    }
  }

  rd_kafka_mock_cluster_destroy(mcluster);
  rd_kafka_destroy(rk);
  return 0;
}
