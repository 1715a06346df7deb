-- Rate-limit counters need not survive a crash (a window restarts at worst), so they skip the WAL:
-- every download counts itself here, and the write-ahead log was a share of its database time.
-- Not replicated to standbys either, which read no counters.
ALTER TABLE "rate_limits" SET UNLOGGED;
