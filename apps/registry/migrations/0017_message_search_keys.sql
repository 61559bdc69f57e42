-- Up Migration
-- Issue 19: text search cheap for common words. The trigram indexes of 0001 hold every e-Box's messages in one
-- posting list per trigram, and a search then visits each candidate's row for its expiry: 20–25 ms of PostgreSQL
-- per search on a 100,000-message e-Box. Here every message also carries integer keys, each a hash of its e-Box
-- and one thing a search can look for: a word of its search text in one language, its message type, sender
-- application, sender organisation, and its expiry month. One GIN index over them gives posting lists that hold
-- one e-Box's messages only. A search asks for the keys of the words that contain `q` (read from search_words, a
-- vocabulary of every word ever stored) and of the expiry months not yet past, so the index alone narrows the
-- candidates to the live messages that can match; the substring match itself stays in the query as the check,
-- so results are what the LIKE of 0001 gives (docs/contract-decisions.md, "Text search: how it is found").
-- Expand only: a nullable column with a NOT VALID check, new tables, functions and a trigger that fills the
-- column on every insert (the release before keeps inserting and never reads it). 0018 fills the existing rows
-- in batches, validates the check and builds the index CONCURRENTLY.

-- Every word ever stored in a search text (any language, any e-Box), with a trigram index: a search finds the
-- words that contain `q` here. Words are never removed (a word of a deleted message only costs a key lookup
-- that finds nothing). No GIN pending list (fastupdate): every search would scan its unsorted entries, up to
-- 4 MB of them (6.6 ms per lookup instead of 0.03 after a bulk insert); a new word costs its trigrams' inserts.
CREATE TABLE search_words (
  word text PRIMARY KEY
);
CREATE INDEX search_words_trigrams ON search_words USING gin (word gin_trgm_ops) WITH (fastupdate = off);

ALTER TABLE messages ADD COLUMN search_keys bigint[];
-- Every row has its keys (0018 validates it once the existing rows are filled): a search by keys never misses one.
ALTER TABLE messages ADD CONSTRAINT messages_search_keys_set CHECK (search_keys IS NOT NULL) NOT VALID;

-- What separates two words: a fixed set of characters (ASCII other than letters and digits, Latin-1 punctuation
-- and symbols, × and ÷, General Punctuation, the ideographic space), never the server's locale, so the words of a
-- text are the same on every server. The only requirement for exact results is that the query's check
-- (search_words_of(q) = ARRAY[q]) uses the same set: a q without a separator lies inside one word.
-- Both are single expressions, so PostgreSQL inlines them into their callers (a SQL function it cannot inline is
-- planned again on every call from a trigger: 3 ms per row).
CREATE FUNCTION search_word_separators() RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\u00a0-\u00bf\u00d7\u00f7\u2000-\u206f\u3000]+'::text
$$;
-- The words of a text, in order, repeated words included.
CREATE FUNCTION search_words_of(text text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_remove(regexp_split_to_array(text, search_word_separators()), '')
$$;

-- One key: 64 bits of PostgreSQL's own text hash (the one hash indexes and hash partitions use; md5 and sha256
-- cost 30 times as much per key). message_search_keys_trusted (below) lets the service notice if a server ever
-- computed it differently from the one that stored the keys.
CREATE FUNCTION message_search_key(recipient_type text, recipient_id text, kind text, value text)
RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT hashtextextended(recipient_type || ':' || recipient_id || ':' || kind || ':' || value, 0)
$$;

-- Expiry months: 30-day buckets of the epoch.
CREATE FUNCTION message_search_expiry_bucket(expires_at timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT floor(extract(epoch FROM expires_at) / 2592000)::bigint
$$;

-- The keys of one message (plpgsql: a SQL function with subqueries costs four times as much per row).
CREATE FUNCTION message_search_keys(m messages) RETURNS bigint[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  keys bigint[] := ARRAY[
    message_search_key(m.recipient_type, m.recipient_id, 'type', m.message_type_id),
    message_search_key(m.recipient_type, m.recipient_id, 'application', m.sender_application_id),
    message_search_key(m.recipient_type, m.recipient_id, 'organization', m.sender_enterprise_number),
    message_search_key(m.recipient_type, m.recipient_id, 'expiry', message_search_expiry_bucket(m.expires_at)::text)];
  word text;
BEGIN
  FOREACH word IN ARRAY search_words_of(m.search_nl) LOOP
    keys := keys || message_search_key(m.recipient_type, m.recipient_id, 'nl', word);
  END LOOP;
  FOREACH word IN ARRAY search_words_of(m.search_fr) LOOP
    keys := keys || message_search_key(m.recipient_type, m.recipient_id, 'fr', word);
  END LOOP;
  FOREACH word IN ARRAY search_words_of(m.search_de) LOOP
    keys := keys || message_search_key(m.recipient_type, m.recipient_id, 'de', word);
  END LOOP;
  RETURN array_remove(keys, NULL);
END $$;

-- Every write path (publication, demo data, the benchmark's generator, a future import) gets the keys and the
-- vocabulary from here, in the same transaction as the message.
-- New words are added sorted: two transactions adding the same new words wait for each other in one order, never
-- in a cycle.
CREATE FUNCTION messages_search_keys_set() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_keys := message_search_keys(NEW);
  INSERT INTO search_words (word)
  SELECT DISTINCT w FROM unnest(search_words_of(NEW.search_nl) || search_words_of(NEW.search_fr)
    || search_words_of(NEW.search_de)) w
  ORDER BY w
  ON CONFLICT DO NOTHING;
  RETURN NEW;
END $$;
CREATE TRIGGER messages_search_keys BEFORE INSERT OR UPDATE OF recipient_type, recipient_id, search_nl, search_fr,
  search_de, message_type_id, sender_application_id, sender_enterprise_number, expires_at
  ON messages FOR EACH ROW EXECUTE FUNCTION messages_search_keys_set();

-- The key this server gave a known input when the keys were stored: a server that hashes differently (a future
-- PostgreSQL) makes message_search_keys_trusted false, and searches use the trigram indexes until the keys are
-- filled again.
CREATE TABLE message_search_key_canary (
  key bigint PRIMARY KEY
);
INSERT INTO message_search_key_canary (key) VALUES (message_search_key('enterprise', '0000000097', 'fr', 'prelevement'));
CREATE FUNCTION message_search_keys_trusted() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(bool_and(key = message_search_key('enterprise', '0000000097', 'fr', 'prelevement')), false)
  FROM message_search_key_canary
$$;

-- Called by 0018 outside a transaction: each batch commits, so no lock is held on many rows for long. Batches go
-- along the primary key, so each reads only its own rows.
CREATE PROCEDURE fill_message_search_keys(batch_size integer) LANGUAGE plpgsql AS $$
DECLARE
  after uuid := '00000000-0000-0000-0000-000000000000';
  upto uuid;
BEGIN
  LOOP
    SELECT message_id INTO upto FROM messages WHERE message_id > after ORDER BY message_id OFFSET batch_size - 1 LIMIT 1;
    IF upto IS NULL THEN -- the last batch
      SELECT message_id INTO upto FROM messages WHERE message_id > after ORDER BY message_id DESC LIMIT 1;
      EXIT WHEN upto IS NULL;
    END IF;
    WITH batch AS (
      UPDATE messages m SET search_keys = message_search_keys(m)
      WHERE m.message_id > after AND m.message_id <= upto AND m.search_keys IS NULL
      RETURNING search_words_of(m.search_nl) || search_words_of(m.search_fr) || search_words_of(m.search_de) AS words
    )
    INSERT INTO search_words (word)
    SELECT DISTINCT w FROM batch, unnest(batch.words) w ORDER BY w
    ON CONFLICT DO NOTHING;
    COMMIT;
    after := upto;
  END LOOP;
END $$;

-- Down Migration
DROP PROCEDURE IF EXISTS fill_message_search_keys(integer);
DROP FUNCTION message_search_keys_trusted();
DROP TABLE message_search_key_canary;
DROP TRIGGER messages_search_keys ON messages;
DROP FUNCTION messages_search_keys_set();
DROP FUNCTION message_search_keys(messages);
DROP FUNCTION message_search_expiry_bucket(timestamptz);
DROP FUNCTION message_search_key(text, text, text, text);
DROP FUNCTION search_words_of(text);
DROP FUNCTION search_word_separators();
ALTER TABLE messages DROP CONSTRAINT messages_search_keys_set;
ALTER TABLE messages DROP COLUMN search_keys;
DROP TABLE search_words;
