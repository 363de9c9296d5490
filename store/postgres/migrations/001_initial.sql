-- 1: the first schema. It runs with search_path set to the store's schema.
-- Identifiers that lists order by are COLLATE "C": byte order, as Go
-- compares strings, whatever the database's locale.

CREATE TABLE processes (
	id         text COLLATE "C" NOT NULL,
	version    integer NOT NULL,
	name       text    NOT NULL,
	created_at text    NOT NULL, -- RFC 3339 with nanoseconds, as given
	created_by text    NOT NULL,
	doc        bytea   NOT NULL, -- the process as JSON
	PRIMARY KEY (id, version)
);

CREATE TABLE input_sets (
	id         text COLLATE "C" NOT NULL PRIMARY KEY,
	process_id text COLLATE "C" NOT NULL,
	doc        bytea NOT NULL
);
CREATE INDEX input_sets_process ON input_sets (process_id, id);

-- A release: its summary (for lists) and its head, the seq and hash of its
-- last event, updated with every append. The summary document is built at
-- the head (it carries the head's seq and hash); sum_digest is its SHA-256.
CREATE TABLE releases (
	id           text COLLATE "C" NOT NULL PRIMARY KEY,
	created_s    bigint  NOT NULL,
	created_ns   integer NOT NULL,
	sched_s      bigint  NOT NULL,
	sched_ns     integer NOT NULL,
	status       text    NOT NULL,
	group_id     text COLLATE "C" NOT NULL,
	occurrence   text, -- UTC RFC 3339, set for the releases a group makes
	process_id   text COLLATE "C" NOT NULL,
	seq          bigint  NOT NULL,
	hash         bytea   NOT NULL,
	snapshot_seq bigint  NOT NULL DEFAULT 0,
	summary      bytea   NOT NULL,
	sum_digest   bytea   NOT NULL
);
CREATE INDEX releases_created   ON releases (created_s, created_ns, id);
CREATE INDEX releases_status    ON releases (status, created_s, created_ns, id);
CREATE INDEX releases_group     ON releases (group_id, created_s, created_ns, id);
CREATE INDEX releases_process   ON releases (process_id, created_s, created_ns, id);
CREATE INDEX releases_scheduled ON releases (sched_s, sched_ns);
CREATE UNIQUE INDEX releases_occurrence ON releases (group_id, occurrence) WHERE occurrence IS NOT NULL;

CREATE TABLE events (
	release_id text COLLATE "C" NOT NULL,
	seq        bigint NOT NULL,
	kind       text   NOT NULL,
	time       text   NOT NULL, -- RFC 3339 with nanoseconds, as sealed
	actor      text   NOT NULL,
	reason     text   NOT NULL,
	payload    bytea, -- byte for byte as appended
	prev_hash  bytea  NOT NULL,
	hash       bytea  NOT NULL,
	PRIMARY KEY (release_id, seq)
);

-- The latest snapshot of a release, with the hash of the event it was
-- built from and the SHA-256 of its document.
CREATE TABLE snapshots (
	release_id text COLLATE "C" NOT NULL PRIMARY KEY,
	seq        bigint NOT NULL,
	hash       bytea  NOT NULL,
	digest     bytea  NOT NULL,
	doc        bytea  NOT NULL
);

CREATE TABLE release_groups (
	id         text COLLATE "C" NOT NULL PRIMARY KEY,
	process_id text COLLATE "C" NOT NULL,
	enabled    boolean NOT NULL,
	revision   bigint  NOT NULL,
	doc        bytea   NOT NULL
);
CREATE INDEX release_groups_process ON release_groups (process_id, id);

-- A lease row is kept when the lease is released (owner ''), so that its
-- token never repeats.
CREATE TABLE leases (
	key        text    NOT NULL PRIMARY KEY,
	owner      text    NOT NULL,
	expires_s  bigint  NOT NULL,
	expires_ns integer NOT NULL,
	token      bigint  NOT NULL
);
