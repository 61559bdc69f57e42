-- Up Migration
-- Federation duties (federation-duties §2, §4): delivery state of the EES outbox, what the worker's scheduler
-- needs, and the audit trail. docs/contract-decisions.md explains the choices.

-- EES outbox: delivery -------------------------------------------------------------------------------------
-- A worker claims a batch by stamping it with its claim_id and pushing next_attempt_at to the end of a lease;
-- it posts the batch outside any transaction, then marks the rows it still holds. A worker that dies leaves the
-- lease to run out, after which the rows are due again: nothing is lost, a duplicate delivery is possible.
-- `cancelled`: a reminder or expiration alert whose message was read before it could be delivered.
ALTER TABLE outbox_events DROP CONSTRAINT outbox_events_status_check;
ALTER TABLE outbox_events
  ADD CONSTRAINT outbox_events_status_check CHECK (status IN ('pending', 'delivered', 'dead', 'cancelled')),
  ADD COLUMN claim_id uuid,
  ADD COLUMN finished_at timestamptz;
-- Backlog and oldest age (metrics), dead letters (metrics, requeue).
CREATE INDEX outbox_events_pending_age ON outbox_events (created_at) WHERE status = 'pending';
CREATE INDEX outbox_events_dead ON outbox_events (created_at) WHERE status = 'dead';
-- Purge of finished events whose message has expired (src/worker/scheduler.ts, OUTBOX_RETENTION_DAYS).
CREATE INDEX outbox_events_finished ON outbox_events (finished_at) WHERE status IN ('delivered', 'cancelled');

-- Dates of EES payloads: ISO 8601 to the second with the Europe/Brussels offset (2023-04-29T10:25:53+02:00).
CREATE FUNCTION ees_datetime(t timestamptz) RETURNS text LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
  SELECT to_char(t AT TIME ZONE 'Europe/Brussels', 'YYYY-MM-DD"T"HH24:MI:SS')
      || '+' || to_char((t AT TIME ZONE 'Europe/Brussels') - (t AT TIME ZONE 'UTC'), 'HH24:MI')
$$;

-- The one definition of an EES v2 event about a message (federation-duties §2.2), used by the producers'
-- enqueueMessageEvent and by the scheduler. Enterprise e-Boxes only: enterpriseId is the recipient's number.
CREATE FUNCTION ees_event_payload(m messages, event_type text, event_id uuid) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT jsonb_build_object(
    'eventType', event_type,
    'eventCorrelationId', event_id,
    'enterpriseId', m.recipient_id,
    'messageId', m.message_id,
    'receiptDate', ees_datetime(m.published_at),
    'expirationDate', ees_datetime(m.expires_at),
    'registeredMail', m.registered_mail,
    'messageTypeId', m.message_type_id,
    'senderOrganizationId', m.sender_enterprise_number,
    'senderApplicationId', m.sender_application_id)
$$;

-- Scheduler -------------------------------------------------------------------------------------------------
-- Calendar days in Belgian local time: t + 15 days keeps the wall-clock time across a daylight-saving change.
CREATE FUNCTION brussels_add_days(t timestamptz, days integer) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ((t AT TIME ZONE 'Europe/Brussels') + make_interval(days => days)) AT TIME ZONE 'Europe/Brussels'
$$;

-- Unread messages of enterprise e-Boxes by publication (reminders) and by expiry (expiration alerts). Reading
-- a message takes it out of both indexes.
CREATE INDEX messages_unread_by_publication ON messages (published_at)
  WHERE read_at IS NULL AND recipient_type = 'enterprise';
CREATE INDEX messages_unread_by_expiry ON messages (expires_at)
  WHERE read_at IS NULL AND recipient_type = 'enterprise';

-- How far each scheduled job has looked: a run considers only what became due since, so its cost follows the
-- new work, not the number of old unread messages. The row lock also keeps two replicas from running a job at once.
CREATE TABLE scheduler_state (
  job            text PRIMARY KEY,
  covered_until  timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Audit trail -------------------------------------------------------------------------------------------------
-- One row per audited API call (federation-duties §4), partitioned by the Europe/Brussels year of the call so
-- that a year whose retention has ended can be detached and archived whole. Append-only: UPDATE, DELETE and
-- TRUNCATE are refused. Tamper-evident: one hash chain over every record in `seq` order,
--   hash = sha256_hex(prev_hash || E'\n' || seq || E'\n' || body)
-- where `body` is the canonical JSON the application computes from the record's columns (src/audit/chain.ts).
-- The newest (seq, hash) lives in audit_chain_head; appending locks that row, so the chain never forks.
CREATE TABLE audit_records (
  seq             bigint NOT NULL,
  occurred_at     timestamptz NOT NULL,   -- time of the incoming call, microseconds
  token_hash      text,                   -- SHA-256 (hex) of the access token, never the token
  client_id       text,
  method          text NOT NULL,
  url             text NOT NULL,
  status          integer NOT NULL,
  details         jsonb NOT NULL DEFAULT '{}',
  correlation_id  text,
  prev_hash       text NOT NULL,
  hash            text NOT NULL,
  PRIMARY KEY (seq, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX audit_records_by_time ON audit_records (occurred_at);

CREATE TABLE audit_chain_head (
  id    boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq   bigint NOT NULL,
  hash  text NOT NULL
);
INSERT INTO audit_chain_head (seq, hash) VALUES (0, repeat('0', 64));

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit records are append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The head only moves forward.
CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.seq <= OLD.seq THEN
    RAISE EXCEPTION 'the audit chain head only moves forward' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE OR DELETE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The partition of year y: [1 January y, 1 January y+1) Europe/Brussels. Idempotent, safe from several processes.
CREATE FUNCTION audit_ensure_year(y integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  name text := format('audit_records_y%s', y);
BEGIN
  IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(hashtext('audit_ensure_year'));
  IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF audit_records FOR VALUES FROM (%L) TO (%L)', name,
    make_timestamptz(y, 1, 1, 0, 0, 0, 'Europe/Brussels'), make_timestamptz(y + 1, 1, 1, 0, 0, 0, 'Europe/Brussels'));
  -- Row triggers are inherited from audit_records; TRUNCATE triggers are not.
  EXECUTE format('CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON %I '
    'FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()', name);
END $$;
SELECT audit_ensure_year(y) FROM generate_series(2024, 2040) AS y;

-- Appends records to the chain under the head's lock; returns the seq of the last one. Each entry is a JSON
-- object with the columns (occurredAt as an ISO string) and `body`, the canonical JSON hashed for it. Callers:
-- src/audit/store.ts only, in the request's own transaction or in a short one of its own.
CREATE FUNCTION audit_append(entries jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
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

-- Archiving: a year's partition may leave the table from 1 January of the year after plus ten years (ATREQ01).
-- Detached, it is an ordinary table to dump and move to archive storage.
CREATE FUNCTION audit_detach_year(y integer, at timestamptz DEFAULT now()) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  name text := format('audit_records_y%s', y);
  releasable timestamptz := make_timestamptz(y + 11, 1, 1, 0, 0, 0, 'Europe/Brussels');
BEGIN
  IF at < releasable THEN
    RAISE EXCEPTION 'audit records of % are retained until %', y, releasable USING ERRCODE = 'insufficient_privilege';
  END IF;
  EXECUTE format('ALTER TABLE audit_records DETACH PARTITION %I', name);
  RETURN name;
END $$;

-- Down Migration
DROP FUNCTION audit_detach_year(integer, timestamptz);
DROP FUNCTION audit_append(jsonb);
DROP FUNCTION audit_ensure_year(integer);
DROP TABLE audit_chain_head, audit_records;
DROP FUNCTION audit_head_forward_only(), audit_refuse_change();
DROP TABLE scheduler_state;
DROP FUNCTION brussels_add_days(timestamptz, integer);
DROP INDEX messages_unread_by_publication, messages_unread_by_expiry;
DROP FUNCTION ees_event_payload(messages, text, uuid), ees_datetime(timestamptz);
DROP INDEX outbox_events_pending_age, outbox_events_dead, outbox_events_finished;
ALTER TABLE outbox_events DROP COLUMN claim_id, DROP COLUMN finished_at, DROP CONSTRAINT outbox_events_status_check;
ALTER TABLE outbox_events ADD CONSTRAINT outbox_events_status_check CHECK (status IN ('pending', 'delivered', 'dead'));
