-- 2: anchors (store.AnchorStore): the signed heads a host's key sealed,
-- kept with the events they seal, in the same transaction.
CREATE TABLE anchors (
	release_id text COLLATE "C" NOT NULL,
	seq        bigint NOT NULL,
	hash       bytea  NOT NULL,
	alg        text   NOT NULL,
	key_id     text   NOT NULL,
	sig        bytea  NOT NULL,
	PRIMARY KEY (release_id, seq)
);
