-- Up Migration
-- The Message Registry's data. Every message row carries its e-Box (recipient_type, recipient_id): every query
-- that touches messages filters on both. Text search runs on normalised copies (lower case, accents stripped)
-- computed by the application, one per language, indexed with trigrams for substring search.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- GIN indexes that combine the e-Box (btree_gin) with trigrams of the search text.
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- Reference data ------------------------------------------------------------------------------------------
CREATE TABLE sender_organizations (
  organization_id   text PRIMARY KEY CHECK (organization_id ~ '^[01][0-9]{9}$'),
  short_name        jsonb NOT NULL,
  long_name         jsonb,
  url               jsonb,
  contact_business  jsonb,
  contact_technical jsonb,
  search_nl         text NOT NULL DEFAULT '',
  search_fr         text NOT NULL DEFAULT '',
  search_de         text NOT NULL DEFAULT '',
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sender_applications (
  application_id    text PRIMARY KEY,
  organization_id   text NOT NULL REFERENCES sender_organizations (organization_id),
  name              jsonb NOT NULL,
  description       jsonb,
  url               jsonb,
  contact_business  jsonb,
  contact_technical jsonb,
  search_nl         text NOT NULL DEFAULT '',
  search_fr         text NOT NULL DEFAULT '',
  search_de         text NOT NULL DEFAULT '',
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE message_types (
  message_type_id   text PRIMARY KEY,
  name              jsonb NOT NULL,
  description       jsonb,
  validity_number   integer NOT NULL CHECK (validity_number > 0),
  validity_unit     text NOT NULL CHECK (validity_unit IN ('day', 'month', 'year')),
  search_nl         text NOT NULL DEFAULT '',
  search_fr         text NOT NULL DEFAULT '',
  search_de         text NOT NULL DEFAULT '',
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Which sender application may publish which message type to which kind of e-Box (§6.5, S26).
CREATE TABLE sender_configurations (
  application_id    text NOT NULL REFERENCES sender_applications (application_id) ON DELETE CASCADE,
  message_type_id   text NOT NULL REFERENCES message_types (message_type_id) ON DELETE CASCADE,
  recipient_type    text NOT NULL CHECK (recipient_type IN ('enterprise', 'citizen')),
  PRIMARY KEY (application_id, message_type_id, recipient_type)
);
CREATE INDEX sender_configurations_by_type ON sender_configurations (message_type_id);

CREATE TABLE reference_images (
  owner_kind        text NOT NULL CHECK (owner_kind IN ('organization', 'application')),
  owner_id          text NOT NULL,
  image_id          text NOT NULL,
  language          text CHECK (language IN ('nl', 'fr', 'de')),
  media_type        text NOT NULL,
  content           bytea NOT NULL,
  PRIMARY KEY (owner_kind, owner_id, image_id)
);

-- e-Boxes and partitions -----------------------------------------------------------------------------------
-- An e-Box is known once it has been consulted or has received a message; last_consultation_at says whether
-- its owner has ever opened it (publication answers NO_DIGITAL_USER otherwise).
CREATE TABLE eboxes (
  recipient_type        text NOT NULL CHECK (recipient_type IN ('enterprise', 'citizen')),
  recipient_id          text NOT NULL,
  last_consultation_at  timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (recipient_type, recipient_id)
);

CREATE TABLE partitions (
  enterprise_number text NOT NULL,
  partition_id      text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (enterprise_number, partition_id)
);

-- Attachment content, stored in chunks so it can be written and read as a stream --------------------------
CREATE TABLE contents (
  content_id  uuid PRIMARY KEY,
  size_bytes  bigint NOT NULL CHECK (size_bytes >= 0),
  sha256      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE content_chunks (
  content_id  uuid NOT NULL REFERENCES contents (content_id) ON DELETE CASCADE,
  seq         integer NOT NULL CHECK (seq >= 0),
  data        bytea NOT NULL,
  PRIMARY KEY (content_id, seq)
);
-- Documents are mostly compressed already (PDF, ZIP, Office): skip TOAST compression, keep out-of-line storage.
ALTER TABLE content_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- Messages -------------------------------------------------------------------------------------------------
CREATE TABLE messages (
  message_id              uuid PRIMARY KEY,
  recipient_type          text NOT NULL CHECK (recipient_type IN ('enterprise', 'citizen')),
  recipient_id            text NOT NULL,
  partition_id            text NOT NULL DEFAULT 'GENERAL',
  sender_enterprise_number text NOT NULL REFERENCES sender_organizations (organization_id),
  sender_partition        text,
  sender_application_id   text NOT NULL REFERENCES sender_applications (application_id),
  message_type_id         text NOT NULL REFERENCES message_types (message_type_id),
  subject                 jsonb NOT NULL,
  published_at            timestamptz NOT NULL,
  expires_at              timestamptz NOT NULL,
  read_at                 timestamptz,
  visible                 boolean NOT NULL DEFAULT true,
  registered_mail         boolean NOT NULL DEFAULT false,
  reply_authorized        boolean NOT NULL DEFAULT false,
  body_main_content       boolean NOT NULL DEFAULT false,
  body                    jsonb,
  for_attention_ssin      text,
  for_attention_label     text,
  business_data           jsonb NOT NULL DEFAULT '[]',
  payment_data            jsonb,
  search_nl               text NOT NULL DEFAULT '',
  search_fr               text NOT NULL DEFAULT '',
  search_de               text NOT NULL DEFAULT '',
  idempotency_key         text,
  published_by_client     text,
  CHECK (NOT body_main_content OR body IS NOT NULL)
);

-- The list: one e-Box, newest first, stable tie-break on message_id. Every filter of the list has an index that
-- starts with the e-Box and keeps that order, so a page is read in order and stops after page × pageSize rows;
-- rare values (unread, hidden, registered) have partial indexes, frequent ones ride the main index.
CREATE INDEX messages_by_ebox ON messages (recipient_type, recipient_id, published_at DESC, message_id DESC);
CREATE INDEX messages_by_ebox_partition ON messages (recipient_type, recipient_id, partition_id, published_at DESC, message_id DESC);
CREATE INDEX messages_by_ebox_type ON messages (recipient_type, recipient_id, message_type_id, published_at DESC, message_id DESC);
CREATE INDEX messages_by_ebox_sender ON messages (recipient_type, recipient_id, sender_enterprise_number, published_at DESC, message_id DESC);
CREATE INDEX messages_by_ebox_application ON messages (recipient_type, recipient_id, sender_application_id, published_at DESC, message_id DESC);
CREATE INDEX messages_by_ebox_unread ON messages (recipient_type, recipient_id, published_at DESC, message_id DESC) WHERE read_at IS NULL;
CREATE INDEX messages_by_ebox_hidden ON messages (recipient_type, recipient_id, published_at DESC, message_id DESC) WHERE NOT visible;
CREATE INDEX messages_by_ebox_registered ON messages (recipient_type, recipient_id, published_at DESC, message_id DESC) WHERE registered_mail;
-- expired* filters, the expired messages left out of counts, "expiring soon" (index-only with the included columns).
CREATE INDEX messages_by_ebox_expiry ON messages (recipient_type, recipient_id, expires_at)
  INCLUDE (partition_id, read_at, registered_mail);
-- Text search: substring (LIKE '%q%') on the normalised text of one language, within one e-Box.
CREATE INDEX messages_search_nl ON messages USING gin (recipient_id, search_nl gin_trgm_ops);
CREATE INDEX messages_search_fr ON messages USING gin (recipient_id, search_fr gin_trgm_ops);
CREATE INDEX messages_search_de ON messages USING gin (recipient_id, search_de gin_trgm_ops);
-- Idempotency-Key (§5.7): unique per sender and sender application, enforced here so concurrent retries race safely.
CREATE UNIQUE INDEX messages_idempotency ON messages (sender_enterprise_number, sender_application_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE attachments (
  message_id      uuid NOT NULL REFERENCES messages (message_id) ON DELETE CASCADE,
  attachment_id   text NOT NULL,
  position        integer NOT NULL,
  title           jsonb,
  file_name       text NOT NULL,
  main_content    boolean NOT NULL,
  media_type      text NOT NULL,
  size_bytes      bigint NOT NULL,
  digest          text NOT NULL,
  signed          boolean NOT NULL DEFAULT false,
  content_id      uuid NOT NULL REFERENCES contents (content_id),
  PRIMARY KEY (message_id, attachment_id)
);
CREATE INDEX attachments_by_content ON attachments (content_id);


-- Message counts per e-Box and partition, kept by triggers, so that totalItems of the unfiltered list and the
-- statistics never count a large e-Box row by row (docs/contract-decisions.md). Expired messages are still
-- counted here; readers subtract them through messages_by_ebox_expiry.
CREATE TABLE ebox_message_counts (
  recipient_type    text NOT NULL,
  recipient_id      text NOT NULL,
  partition_id      text NOT NULL,
  total             bigint NOT NULL DEFAULT 0,
  unread            bigint NOT NULL DEFAULT 0,
  registered        bigint NOT NULL DEFAULT 0,
  unread_registered bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (recipient_type, recipient_id, partition_id)
);

-- Statement-level triggers with transition tables: one upsert per (e-Box, partition) a statement touches, however
-- many rows it inserts, updates or deletes (a bulk load of 100,000 messages costs one upsert, not 100,000).
-- The rows a statement changed, as (e-Box, partition, read_at, registered_mail, ±1): removed ones count -1.
CREATE TYPE ebox_message_count_change AS (
  recipient_type text, recipient_id text, partition_id text, read_at timestamptz, registered_mail boolean, sign integer
);

CREATE FUNCTION ebox_message_counts_add(changes ebox_message_count_change[]) RETURNS void LANGUAGE sql AS $$
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

CREATE FUNCTION ebox_message_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Each branch reads only the transition tables its operation has.
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

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ebox_message_counts_apply();
CREATE TRIGGER messages_count_update AFTER UPDATE ON messages REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ebox_message_counts_apply();
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ebox_message_counts_apply();

-- Down Migration
DROP FUNCTION ebox_message_counts_apply() CASCADE;
DROP FUNCTION ebox_message_counts_add(ebox_message_count_change[]);
DROP TYPE ebox_message_count_change;
DROP TABLE ebox_message_counts, attachments, messages, content_chunks, contents, partitions, eboxes, reference_images,
  sender_configurations, message_types, sender_applications, sender_organizations;
