-- Up Migration
-- Issues 16 and 23: rate limits shared by every replica (src/plugins/shared-rate-limit.ts). One row per limit key
-- and fixed window, counted by one upsert per authenticated request. UNLOGGED: no WAL (the counters cost no
-- replication or archive traffic) and emptied after a crash, which only forgets the current window's counts.
-- Keys are SHA-256 digests: the table holds no client id, enterprise number or SSIN.
CREATE UNLOGGED TABLE rate_limit_counters (
  key           text    NOT NULL,
  window_start  bigint  NOT NULL,
  hits          integer NOT NULL,
  PRIMARY KEY (key, window_start)
);

-- Down Migration
DROP TABLE rate_limit_counters;
