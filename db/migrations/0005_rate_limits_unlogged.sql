-- Rate-limit counters are not worth a WAL flush: unlogged, an upsert commits without waiting for the
-- disk and holds its row lock for microseconds, so one busy caller's counter row is not a queue.
-- The price: counters reset after a crash (and are not on standbys), which is harmless for limits.
ALTER TABLE "rate_limits" SET UNLOGGED;
