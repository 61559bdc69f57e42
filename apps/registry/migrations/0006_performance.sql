-- Up Migration
-- Issue 10 (BENCHMARKS.md): totalItems of the unfiltered list without counting a large e-Box's expired messages
-- on every request. Each ebox_message_counts row now also knows how many of its messages had expired at
-- `expired_until`; a reader adds only the messages expired since (a short range of messages_by_ebox_expiry), and
-- moves the mark forward now and then (ebox_message_counts_expire). Invariant, per (e-Box, partition) row:
--   expired = number of its messages with expires_at <= expired_until
-- kept by the count triggers (a change to a message already past the mark moves `expired` with it) and by
-- ebox_message_counts_expire (which counts what crossed the mark while it holds the row).

ALTER TABLE ebox_message_counts
  ADD COLUMN expired bigint NOT NULL DEFAULT 0,
  ADD COLUMN expired_until timestamptz NOT NULL DEFAULT '-infinity';

ALTER TYPE ebox_message_count_change ADD ATTRIBUTE expires_at timestamptz;

CREATE OR REPLACE FUNCTION ebox_message_counts_add(changes ebox_message_count_change[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO ebox_message_counts AS c (recipient_type, recipient_id, partition_id, total, unread, registered,
                                        unread_registered)
  SELECT recipient_type, recipient_id, partition_id, sum(sign), sum(sign * (read_at IS NULL)::int),
         sum(sign * registered_mail::int), sum(sign * (read_at IS NULL AND registered_mail)::int)
  FROM unnest(changes)
  GROUP BY recipient_type, recipient_id, partition_id
  HAVING sum(sign) <> 0 OR sum(sign * (read_at IS NULL)::int) <> 0 OR sum(sign * registered_mail::int) <> 0
    OR sum(sign * (read_at IS NULL AND registered_mail)::int) <> 0
  ON CONFLICT (recipient_type, recipient_id, partition_id) DO UPDATE SET
    total = c.total + excluded.total,
    unread = c.unread + excluded.unread,
    registered = c.registered + excluded.registered,
    unread_registered = c.unread_registered + excluded.unread_registered,
    -- `c` is the locked, latest row: its mark is the one to compare with (a new row's is -infinity).
    expired = c.expired + CASE WHEN c.expired_until = '-infinity' THEN 0 ELSE (
      SELECT coalesce(sum(ch.sign), 0) FROM unnest(changes) ch
      WHERE ch.recipient_type = c.recipient_type AND ch.recipient_id = c.recipient_id
        AND ch.partition_id = c.partition_id AND ch.expires_at <= c.expired_until) END
$$;

CREATE OR REPLACE FUNCTION ebox_message_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Each branch reads only the transition tables its operation has.
  IF TG_OP = 'INSERT' THEN
    PERFORM ebox_message_counts_add(ARRAY(
      SELECT ROW(recipient_type, recipient_id, partition_id, read_at, registered_mail, 1, expires_at)::ebox_message_count_change
      FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM ebox_message_counts_add(ARRAY(
      SELECT ROW(recipient_type, recipient_id, partition_id, read_at, registered_mail, -1, expires_at)::ebox_message_count_change
      FROM old_rows));
  ELSE
    PERFORM ebox_message_counts_add(ARRAY(
      SELECT ROW(recipient_type, recipient_id, partition_id, read_at, registered_mail, -1, expires_at)::ebox_message_count_change
      FROM old_rows
      UNION ALL
      SELECT ROW(recipient_type, recipient_id, partition_id, read_at, registered_mail, 1, expires_at)::ebox_message_count_change
      FROM new_rows));
  END IF;
  RETURN NULL;
END $$;

-- Moves the marks of one e-Box to `until`, one row at a time. A row a writer holds is skipped (SKIP LOCKED: this
-- never waits, so it cannot deadlock with the triggers); it moves next time. Each UPDATE is a statement of its
-- own, so it counts with a snapshot taken after the row lock: a message change committed before is seen, one
-- committed after finds the new mark in its trigger.
CREATE FUNCTION ebox_message_counts_expire(p_type text, p_id text, p_until timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT partition_id FROM ebox_message_counts
           WHERE recipient_type = p_type AND recipient_id = p_id AND expired_until < p_until
           ORDER BY partition_id FOR UPDATE SKIP LOCKED LOOP
    UPDATE ebox_message_counts c SET
      expired = c.expired + (SELECT count(*) FROM messages m
                             WHERE m.recipient_type = p_type AND m.recipient_id = p_id
                               AND m.partition_id = r.partition_id
                               AND m.expires_at > c.expired_until AND m.expires_at <= p_until),
      expired_until = p_until
    WHERE c.recipient_type = p_type AND c.recipient_id = p_id AND c.partition_id = r.partition_id;
  END LOOP;
END $$;

-- The list's page is read as ids first: with expires_at and partition_id in the e-Box index, the default list
-- (expired left out, a human user's partitions) is an index-only scan however deep the page.
DROP INDEX messages_by_ebox;
CREATE INDEX messages_by_ebox ON messages (recipient_type, recipient_id, published_at DESC, message_id DESC)
  INCLUDE (expires_at, partition_id);

-- Down Migration
DROP INDEX messages_by_ebox;
CREATE INDEX messages_by_ebox ON messages (recipient_type, recipient_id, published_at DESC, message_id DESC);
DROP FUNCTION ebox_message_counts_expire(text, text, timestamptz);
CREATE OR REPLACE FUNCTION ebox_message_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM ebox_message_counts_add(ARRAY(
      SELECT ROW(recipient_type, recipient_id, partition_id, read_at, registered_mail, 1)::ebox_message_count_change
      FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM ebox_message_counts_add(ARRAY(
      SELECT ROW(recipient_type, recipient_id, partition_id, read_at, registered_mail, -1)::ebox_message_count_change
      FROM old_rows));
  ELSE
    PERFORM ebox_message_counts_add(ARRAY(
      SELECT ROW(recipient_type, recipient_id, partition_id, read_at, registered_mail, -1)::ebox_message_count_change
      FROM old_rows
      UNION ALL
      SELECT ROW(recipient_type, recipient_id, partition_id, read_at, registered_mail, 1)::ebox_message_count_change
      FROM new_rows));
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION ebox_message_counts_add(changes ebox_message_count_change[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO ebox_message_counts AS c (recipient_type, recipient_id, partition_id, total, unread, registered,
                                        unread_registered)
  SELECT recipient_type, recipient_id, partition_id, sum(sign), sum(sign * (read_at IS NULL)::int),
         sum(sign * registered_mail::int), sum(sign * (read_at IS NULL AND registered_mail)::int)
  FROM unnest(changes)
  GROUP BY recipient_type, recipient_id, partition_id
  HAVING sum(sign) <> 0 OR sum(sign * (read_at IS NULL)::int) <> 0 OR sum(sign * registered_mail::int) <> 0
    OR sum(sign * (read_at IS NULL AND registered_mail)::int) <> 0
  ON CONFLICT (recipient_type, recipient_id, partition_id) DO UPDATE SET
    total = c.total + excluded.total,
    unread = c.unread + excluded.unread,
    registered = c.registered + excluded.registered,
    unread_registered = c.unread_registered + excluded.unread_registered
$$;
ALTER TYPE ebox_message_count_change DROP ATTRIBUTE expires_at;
ALTER TABLE ebox_message_counts DROP COLUMN expired_until, DROP COLUMN expired;
