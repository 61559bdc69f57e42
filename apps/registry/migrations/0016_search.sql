-- Up Migration
-- Issue 19: a search structure per e-Box and language (docs/contract-decisions.md, "Text search: index").
-- The trigram GIN indexes of 0001 key trigrams across every e-Box: a common French word intersects posting lists
-- of the whole table with the e-Box's entry. Here each key is a trigram *of one e-Box in one language*, hashed to
-- a bigint, so a posting list only holds that e-Box's messages. The keys only narrow the candidates: the match
-- itself stays the substring LIKE on search_{nl,fr,de} (same accents, case and partial-word semantics).
--
-- Trigrams are pg_trgm's (show_trgm: per word, lower case), keeping only the three-character ones inside a word
-- (no padding blank, no hashed multibyte trigram shown as 0x…). Any such trigram of a query is inside one of the
-- query's words, which is a piece of one word of every text holding the query: it is a trigram of that text too,
-- so the containment test never loses a match. A query without one (every word shorter than 3) uses no keys.
CREATE FUNCTION message_search_trigrams(text) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, public
  RETURN ARRAY(SELECT t FROM unnest(show_trgm($1)) AS t WHERE length(t) = 3 AND strpos(t, ' ') = 0);

-- The keys of one e-Box's text in one language: hash of (recipient, language, trigram); a collision only adds a
-- candidate that the LIKE then leaves out.
CREATE FUNCTION message_search_keys(recipient_type text, recipient_id text, language text, search text)
  RETURNS bigint[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, public
  RETURN ARRAY(
    SELECT hashtextextended(recipient_type || ':' || recipient_id || ':' || language || ':' || t, 0)
    FROM unnest(message_search_trigrams(search)) AS t);

-- One index for the three languages (fewer indexes to maintain on publication than one per language). Computing
-- it costs ~0.1 ms per message: the high COST tells the planner to read it from the index, never to evaluate it
-- on every row of a large e-Box as a filter (and to test the cheap LIKE first when it must).
CREATE FUNCTION message_search_keys(recipient_type text, recipient_id text, search_nl text, search_fr text, search_de text)
  RETURNS bigint[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 100000
  SET search_path = pg_catalog, public
  RETURN message_search_keys(recipient_type, recipient_id, 'nl', search_nl)
    || message_search_keys(recipient_type, recipient_id, 'fr', search_fr)
    || message_search_keys(recipient_type, recipient_id, 'de', search_de);

-- Down Migration
DROP FUNCTION message_search_keys(text, text, text, text, text);
DROP FUNCTION message_search_keys(text, text, text, text);
DROP FUNCTION message_search_trigrams(text);
