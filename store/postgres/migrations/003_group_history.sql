-- 3: the decisions of the groups' schedulers (store.GroupHistoryStore), one
-- per (group, occurrence, decision); id keeps the order of appends.
CREATE TABLE group_history (
	id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	group_id text COLLATE "C" NOT NULL,
	occ_s    bigint  NOT NULL,
	occ_ns   integer NOT NULL,
	decision text    NOT NULL,
	doc      bytea   NOT NULL,
	UNIQUE (group_id, occ_s, occ_ns, decision)
);
CREATE INDEX group_history_order ON group_history (group_id, occ_s, occ_ns, id);
