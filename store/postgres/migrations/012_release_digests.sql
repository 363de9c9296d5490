-- 10: the digests readers keep of releases (store.DigestStore): one per
-- release, with the head it was computed at and the store's digest of the
-- row's fields (check_sum), so that an edited row is an error, not a wrong
-- figure. A release's digest goes with it.
CREATE TABLE release_digests (
	release_id text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES releases (id) ON DELETE CASCADE,
	seq        bigint NOT NULL,
	hash       bytea  NOT NULL,
	check_sum  bytea  NOT NULL,
	data       bytea  NOT NULL
);
