-- Up Migration
-- Audit chain without a global lock (docs/contract-decisions.md, "Audit trail"). Until now every audited call of
-- every replica locked the one audit_chain_head row. From here the trail is 16 hash chains (shards), each with its
-- own head row; an append locks one of them — the one its backend's pid picks, or any free one (SKIP LOCKED) —
-- so up to 16 transactions append at once. Shard k's records have seq k * 10^14 + n (n = 1, 2, …): seq stays
-- unique, the primary key and the partitions are unchanged, and a record hashed with its seq cannot move to
-- another shard. The records written so far are shard 0's history (seq < 10^14); shard 0 continues from the old
-- head. audit_chain_head is retired (frozen at its last position; no code reads it after this migration).
-- Periodic anchors (audit_anchor, called by the worker's scheduler) record every shard's head in a chain of their
-- own, so a shard whose tail was removed after an anchor is detected even if its head row was moved back too.

-- An append in flight under the old function finishes before the heads are copied.
LOCK TABLE audit_chain_head IN EXCLUSIVE MODE;

CREATE TABLE audit_chain_shards (
  shard  bigint PRIMARY KEY CHECK (shard >= 0 AND shard < 16),
  seq    bigint NOT NULL,   -- seq of the shard's last record; shard * 10^14 before its first
  hash   text NOT NULL      -- hash of that record; 64 zeros before the first
);
INSERT INTO audit_chain_shards (shard, seq, hash)
SELECT 0, seq, hash FROM audit_chain_head
UNION ALL
SELECT k, k * 100000000000000, repeat('0', 64) FROM generate_series(1, 15) AS k;

CREATE TRIGGER audit_chain_shards_forward_only BEFORE UPDATE OR DELETE ON audit_chain_shards
  FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_chain_shards_no_truncate BEFORE TRUNCATE ON audit_chain_shards
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- One row per anchor: every shard's (seq, hash) at one moment, chained like the records:
--   hash = sha256_hex(prev_hash || E'\n' || id || E'\n' || heads_text)
-- where heads_text is "shard:seq:hash" per shard, in shard order, joined by ",".
CREATE TABLE audit_anchors (
  id           bigint PRIMARY KEY,
  anchored_at  timestamptz NOT NULL DEFAULT now(),
  heads        jsonb NOT NULL,      -- [{"shard": 0, "seq": "…", "hash": "…"}, …]
  prev_hash    text NOT NULL,
  hash         text NOT NULL
);
CREATE TRIGGER audit_anchors_append_only BEFORE UPDATE OR DELETE ON audit_anchors
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_anchors_no_truncate BEFORE TRUNCATE ON audit_anchors
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Same signature as before, so replicas of the previous version append to the shards during a rollout.
CREATE OR REPLACE FUNCTION audit_append(entries jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  head audit_chain_shards;
  entry jsonb;
  next_seq bigint;
  next_hash text;
BEGIN
  -- The shard of this backend if it is free (or already ours), else any free one, else wait for ours.
  SELECT * INTO head FROM audit_chain_shards WHERE shard = pg_backend_pid() % 16 FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    SELECT * INTO head FROM audit_chain_shards ORDER BY (shard + pg_backend_pid()) % 16
      LIMIT 1 FOR UPDATE SKIP LOCKED;
  END IF;
  IF NOT FOUND THEN
    SELECT * INTO STRICT head FROM audit_chain_shards WHERE shard = pg_backend_pid() % 16 FOR UPDATE;
  END IF;
  next_seq := head.seq;
  next_hash := head.hash;
  FOR entry IN SELECT value FROM jsonb_array_elements(entries) LOOP
    next_seq := next_seq + 1;
    INSERT INTO audit_records (seq, occurred_at, token_hash, client_id, method, url, status, details,
                               correlation_id, prev_hash, hash)
    VALUES (next_seq, (entry->>'occurredAt')::timestamptz, entry->>'tokenHash', entry->>'clientId',
            entry->>'method', entry->>'url', (entry->>'status')::integer, coalesce(entry->'details', '{}'),
            entry->>'correlationId', next_hash,
            encode(sha256(convert_to(next_hash || E'\n' || next_seq || E'\n' || (entry->>'body'), 'UTF8')), 'hex'))
    RETURNING hash INTO next_hash;
  END LOOP;
  UPDATE audit_chain_shards SET seq = next_seq, hash = next_hash WHERE shard = head.shard AND next_seq > head.seq;
  RETURN next_seq;
END $$;

-- Records every shard's committed head (a snapshot: no lock on the shards) unless nothing moved since the last
-- anchor; returns the new anchor's id or NULL. Two workers anchoring at once take turns.
CREATE FUNCTION audit_anchor() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  last audit_anchors;
  current_heads jsonb;
  heads_text text;
  next_id bigint;
  next_prev text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('audit_anchor'));
  SELECT jsonb_agg(jsonb_build_object('shard', shard, 'seq', seq::text, 'hash', hash) ORDER BY shard),
         string_agg(shard || ':' || seq || ':' || hash, ',' ORDER BY shard)
    INTO current_heads, heads_text FROM audit_chain_shards;
  SELECT * INTO last FROM audit_anchors ORDER BY id DESC LIMIT 1;
  IF FOUND AND last.heads = current_heads THEN RETURN NULL; END IF;
  next_id := coalesce(last.id, 0) + 1;
  next_prev := coalesce(last.hash, repeat('0', 64));
  INSERT INTO audit_anchors (id, heads, prev_hash, hash)
  VALUES (next_id, current_heads, next_prev,
          encode(sha256(convert_to(next_prev || E'\n' || next_id || E'\n' || heads_text, 'UTF8')), 'hex'));
  RETURN next_id;
END $$;

-- The service role (migration 0007): heads are locked and moved forward, never inserted or deleted; anchors are
-- appended and read.
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'ebox_registry_service') THEN
    GRANT SELECT, UPDATE ON audit_chain_shards TO ebox_registry_service;
    REVOKE INSERT, DELETE ON audit_chain_shards FROM ebox_registry_service;
    GRANT SELECT, INSERT ON audit_anchors TO ebox_registry_service;
    REVOKE UPDATE, DELETE ON audit_anchors FROM ebox_registry_service;
  END IF;
END $$;

-- Down Migration
-- Shard 0 goes back to being the one chain; records of shards 1–15 stay (append-only) but leave the old chain.
CREATE OR REPLACE FUNCTION audit_append(entries jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  head audit_chain_head;
  entry jsonb;
  next_seq bigint;
  next_hash text;
BEGIN
  SELECT * INTO STRICT head FROM audit_chain_head FOR UPDATE;
  next_seq := head.seq;
  next_hash := head.hash;
  FOR entry IN SELECT value FROM jsonb_array_elements(entries) LOOP
    next_seq := next_seq + 1;
    INSERT INTO audit_records (seq, occurred_at, token_hash, client_id, method, url, status, details,
                               correlation_id, prev_hash, hash)
    VALUES (next_seq, (entry->>'occurredAt')::timestamptz, entry->>'tokenHash', entry->>'clientId',
            entry->>'method', entry->>'url', (entry->>'status')::integer, coalesce(entry->'details', '{}'),
            entry->>'correlationId', next_hash,
            encode(sha256(convert_to(next_hash || E'\n' || next_seq || E'\n' || (entry->>'body'), 'UTF8')), 'hex'))
    RETURNING hash INTO next_hash;
  END LOOP;
  UPDATE audit_chain_head SET seq = next_seq, hash = next_hash WHERE next_seq > head.seq;
  RETURN next_seq;
END $$;
UPDATE audit_chain_head h SET seq = s.seq, hash = s.hash FROM audit_chain_shards s WHERE s.shard = 0 AND s.seq > h.seq;
DROP FUNCTION audit_anchor();
DROP TABLE audit_anchors, audit_chain_shards;
