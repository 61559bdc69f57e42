-- Up Migration
-- Issue 17: attachment content in an S3-compatible object store (CONTENT_STORE=s3), PostgreSQL chunks kept.
-- A contents row says where its bytes are: `postgres` (content_chunks, as before) or `s3` (the object named by
-- its SHA-256, shared by every row with the same digest; src/content/s3-store.ts).
-- A constant default adds the column without rewriting the table; the CHECK is added NOT VALID (no scan under the
-- exclusive lock) and validated by 0013, which also builds the index on `contents` CONCURRENTLY.
ALTER TABLE contents ADD COLUMN store text NOT NULL DEFAULT 'postgres';
ALTER TABLE contents ADD CONSTRAINT contents_store_known CHECK (store IN ('postgres', 's3')) NOT VALID;

-- An object the sweeper must look at once `claimed_at` is older than its grace period (src/content/sweeper.ts):
-- written and committed before an upload starts (upload_key: the temporary object), given the digest once it is
-- known (sha256: the content-addressed object), and by the triggers below when a row stops naming an object.
-- The sweeper deletes the temporary object, and the content-addressed one only when no contents row names it.
CREATE TABLE content_object_claims (
  claim_id    uuid PRIMARY KEY,
  upload_key  text,
  sha256      text,
  claimed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX content_object_claims_by_age ON content_object_claims (claimed_at);

CREATE FUNCTION contents_release_object() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO content_object_claims (claim_id, sha256) VALUES (gen_random_uuid(), OLD.sha256);
  RETURN NULL;
END $$;

CREATE TRIGGER contents_deleted_release_object AFTER DELETE ON contents
  FOR EACH ROW WHEN (OLD.store = 's3') EXECUTE FUNCTION contents_release_object();
CREATE TRIGGER contents_moved_release_object AFTER UPDATE OF store ON contents
  FOR EACH ROW WHEN (OLD.store = 's3' AND NEW.store <> 's3') EXECUTE FUNCTION contents_release_object();

-- Down Migration
DROP TRIGGER contents_moved_release_object ON contents;
DROP TRIGGER contents_deleted_release_object ON contents;
DROP FUNCTION contents_release_object();
DROP TABLE content_object_claims;
ALTER TABLE contents DROP COLUMN store;
