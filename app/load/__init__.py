"""rtprobe's sessions as Locust users, with exact HDR percentiles merged on the master.

Locust brings the distribution (master and workers over ZeroMQ, headless runs, the web
UI, ramp-up); rtprobe brings the clients, open-loop schedules and HDR histograms. This
part imports core and Locust (hence gevent); core never imports it (import-linter).

- `bridge.py`: the asyncio loop in a native thread of each worker process, and how a
  greenlet waits on a coroutine of it;
- `users.py`: one Locust user is one rtprobe session on that loop;
- `recorder.py`: a worker's events into Locust's request events and windowed
  aggregators; `wire.py`: such a window as msgpack-safe data, and its merge;
- `seconds.py`: per-second counters and HDR histograms, for the over-time plots;
  `samples.py`: a window's samples, for the master's one CSV (`--report-csv`);
- `merged.py`: the master's merged result, its reports and `--assert`;
- `plugin.py`: the Locust event listeners tying these together; `options.py`: the
  rtprobe flags Locust's parser gets; `buckets.py`: 3-significant-figure buckets;
- `locustfile.py`: what `locust -f` (and `rtprobe locust`) loads.
"""
