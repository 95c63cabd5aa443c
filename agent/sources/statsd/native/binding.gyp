{
  "targets": [
    {
      "target_name": "corral_udp",
      "sources": ["udp_receiver.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"]
    }
  ]
}
