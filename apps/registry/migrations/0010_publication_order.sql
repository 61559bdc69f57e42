-- Up Migration
-- Issue 18: the list is newest first, and messages published within the same second (published_at is whole
-- seconds) come in publication order. message_id (a random UUID) said nothing about that order; publication_seq
-- is given by the insert, so a later publication always has a larger number.
-- Expand only (docs/operations.md, "Migrations without downtime"): a nullable column and a sequence default add
-- no table rewrite, and the release before keeps inserting (the default numbers its rows). 0014 numbers the
-- existing rows in batches, validates the NOT NULL check and swaps the list indexes CONCURRENTLY.
CREATE SEQUENCE messages_publication_seq AS bigint;
ALTER TABLE messages ADD COLUMN publication_seq bigint;
ALTER SEQUENCE messages_publication_seq OWNED BY messages.publication_seq;
ALTER TABLE messages ALTER COLUMN publication_seq SET DEFAULT nextval('messages_publication_seq');
ALTER TABLE messages ADD CONSTRAINT messages_publication_seq_set CHECK (publication_seq IS NOT NULL) NOT VALID;

-- Rows published before this migration get negative numbers (below every number the sequence gives), ordered
-- among themselves as they were listed before: by message_id within the same second. The number is the first 60
-- bits of the UUID, a pure function of the row, so batches need no window over the whole table.
CREATE FUNCTION legacy_publication_seq(message_id uuid) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT ('x' || substr(replace(message_id::text, '-', ''), 1, 15))::bit(60)::bigint - (1::bigint << 62)
$$;

-- Called by 0014 outside a transaction: each batch commits, so no lock is held on many rows for long.
CREATE PROCEDURE number_legacy_publications(batch_size integer) LANGUAGE plpgsql AS $$
DECLARE
  numbered integer;
BEGIN
  LOOP
    UPDATE messages SET publication_seq = legacy_publication_seq(message_id)
      WHERE message_id IN (SELECT message_id FROM messages WHERE publication_seq IS NULL LIMIT batch_size);
    GET DIAGNOSTICS numbered = ROW_COUNT;
    COMMIT;
    EXIT WHEN numbered = 0;
  END LOOP;
END $$;

-- Down Migration
DROP PROCEDURE number_legacy_publications(integer);
DROP FUNCTION legacy_publication_seq(uuid);
ALTER TABLE messages DROP COLUMN publication_seq;
