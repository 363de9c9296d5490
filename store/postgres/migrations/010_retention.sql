-- 10: retention (store.RetentionStore). A finished release's end time
-- (ended_s, ended_ns; NULL while it runs), written with every append like
-- the status, indexed by itself and per process and group, so that the
-- releases a rule lets go are a range scan. The releases that had ended
-- get theirs from their summary.
ALTER TABLE releases ADD COLUMN ended_s bigint;
ALTER TABLE releases ADD COLUMN ended_ns integer;
UPDATE releases SET
	ended_s = extract(epoch FROM date_trunc('second', (convert_from(summary, 'UTF8')::jsonb->>'ended-at')::timestamptz))::bigint,
	ended_ns = coalesce(rpad(substring(convert_from(summary, 'UTF8')::jsonb->>'ended-at' FROM '\.([0-9]+)'), 9, '0')::integer, 0)
	WHERE status IN ('Succeeded', 'PartialSuccess', 'Failed', 'Aborted', 'RolledBack');
CREATE INDEX releases_ended         ON releases (ended_s, ended_ns, id) WHERE ended_s IS NOT NULL;
CREATE INDEX releases_ended_process ON releases (process_id, ended_s, ended_ns, id) WHERE ended_s IS NOT NULL;
CREATE INDEX releases_ended_group   ON releases (group_id, ended_s, ended_ns, id) WHERE ended_s IS NOT NULL;

-- The deletion log: a record per deleted release, in the order the
-- deletions committed (DeleteRelease locks the table, so seq order is
-- commit order). It holds the release's id and group occurrence taken: a
-- trigger refuses a new release with either, as the primary key and
-- releases_occurrence refuse a live one.
CREATE TABLE deletions (
	seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	release_id text COLLATE "C" NOT NULL,
	group_id   text COLLATE "C" NOT NULL,
	occurrence text,
	doc        bytea NOT NULL, -- the store.Deletion as JSON, without its seq
	CONSTRAINT deletions_release UNIQUE (release_id)
);
CREATE UNIQUE INDEX deletions_occurrence ON deletions (group_id, occurrence) WHERE occurrence IS NOT NULL;

CREATE FUNCTION releases_not_deleted() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM deletions WHERE release_id = NEW.id) THEN
		RAISE EXCEPTION 'release % was deleted', NEW.id
			USING ERRCODE = 'unique_violation', CONSTRAINT = 'deletions_release';
	END IF;
	IF NEW.occurrence IS NOT NULL AND EXISTS (SELECT 1 FROM deletions WHERE group_id = NEW.group_id AND occurrence = NEW.occurrence) THEN
		RAISE EXCEPTION 'the release of group % for occurrence % was deleted', NEW.group_id, NEW.occurrence
			USING ERRCODE = 'unique_violation', CONSTRAINT = 'deletions_occurrence';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER releases_not_deleted BEFORE INSERT ON releases
	FOR EACH ROW EXECUTE FUNCTION releases_not_deleted();
