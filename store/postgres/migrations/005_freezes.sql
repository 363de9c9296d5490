-- 5: freezes (store.FreezeStore), each kept as its JSON document with the
-- columns lists filter on.
CREATE TABLE freezes (
	id       text COLLATE "C" PRIMARY KEY,
	enabled  boolean NOT NULL,
	revision bigint  NOT NULL,
	doc      bytea   NOT NULL
);
