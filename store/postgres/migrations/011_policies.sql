-- 10: policies (store.PolicyStore): every version of each, kept as its JSON
-- document with the column lists filter on. The latest version of a policy
-- is the one with the largest version; the primary key finds it, and makes
-- one of two writers of the same next version fail.
CREATE TABLE policies (
	id      text COLLATE "C" NOT NULL,
	version bigint  NOT NULL,
	enabled boolean NOT NULL,
	doc     bytea   NOT NULL,
	PRIMARY KEY (id, version)
);
