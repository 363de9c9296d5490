-- 9: the link index (store.LinkStore): a row per link.added event, written
-- in the statement that stores it; ok (and ok_s, ok_ns: when) says the
-- link's activity succeeded and was not rolled back, kept by the appends
-- that store those. links_ref and links_url find the releases that carried
-- a ref or URL; links_deployed orders each (env, service)'s deployments
-- newest first; links_claims groups them by version.
CREATE TABLE links (
	release_id text COLLATE "C" NOT NULL,
	seq        bigint  NOT NULL,
	kind       text    COLLATE "C" NOT NULL,
	ref        text    COLLATE "C" NOT NULL,
	url        text    COLLATE "C" NOT NULL,
	service    text    COLLATE "C" NOT NULL,
	env        text    COLLATE "C" NOT NULL,
	version    text    COLLATE "C" NOT NULL,
	activity   text    COLLATE "C" NOT NULL,
	ok         boolean NOT NULL,
	ok_s       bigint  NOT NULL,
	ok_ns      integer NOT NULL,
	doc        bytea   NOT NULL, -- the release.Link as JSON
	PRIMARY KEY (release_id, seq)
);

-- The links of the events stored before, each with the state the last
-- success or rollback of its activity left. A link an index cannot hold
-- (store.CheckLink: too long, a control character, or an escaped NUL that
-- jsonb refuses) is left out; it stays in the events.
WITH ev AS (
	SELECT release_id, seq, kind, time, actor, convert_from(payload, 'UTF8')::jsonb AS p
	FROM events
	WHERE kind IN ('link.added', 'activity.succeeded', 'activity.rolled-back')
		AND payload IS NOT NULL AND position('\u0000' in convert_from(payload, 'UTF8')) = 0
),
st AS (
	SELECT DISTINCT ON (release_id, p->>'activity') release_id, p->>'activity' AS activity,
		kind = 'activity.succeeded' AS ok, time
	FROM ev WHERE kind <> 'link.added'
	ORDER BY release_id, p->>'activity', seq DESC
),
l AS (
	SELECT ev.release_id, ev.seq, ev.actor, ev.time, ev.p->'link' AS link,
		coalesce(ev.p->>'activity', '') AS activity, coalesce(ev.p->>'task', '') AS task
	FROM ev WHERE kind = 'link.added'
)
INSERT INTO links (release_id, seq, kind, ref, url, service, env, version, activity, ok, ok_s, ok_ns, doc)
SELECT l.release_id, l.seq, l.link->>'kind',
	coalesce(l.link->>'ref', ''), coalesce(l.link->>'url', ''), coalesce(l.link->>'service', ''),
	coalesce(l.link->>'environment', ''), coalesce(l.link->>'version', ''), l.activity,
	coalesce(st.ok, false) AND l.activity <> '',
	CASE WHEN coalesce(st.ok, false) AND l.activity <> ''
		THEN extract(epoch FROM regexp_replace(st.time, '\.[0-9]+', '')::timestamptz)::bigint ELSE 0 END,
	CASE WHEN coalesce(st.ok, false) AND l.activity <> ''
		THEN coalesce(rpad(substring(st.time FROM '\.([0-9]+)'), 9, '0')::integer, 0) ELSE 0 END,
	convert_to((l.link || jsonb_build_object('activity', l.activity, 'task', l.task, 'actor', l.actor, 'at', l.time))::text, 'UTF8')
FROM l LEFT JOIN st ON st.release_id = l.release_id AND st.activity = l.activity
WHERE octet_length(coalesce(l.link->>'url', '')) <= 2048
	AND octet_length(coalesce(l.link->>'ref', '')) <= 512 AND octet_length(coalesce(l.link->>'title', '')) <= 512
	AND octet_length(coalesce(l.link->>'service', '')) <= 512 AND octet_length(coalesce(l.link->>'environment', '')) <= 512
	AND octet_length(coalesce(l.link->>'version', '')) <= 512
	AND concat(l.link->>'url', l.link->>'ref', l.link->>'title', l.link->>'service', l.link->>'environment', l.link->>'version') !~ '[[:cntrl:]]';

CREATE INDEX links_ref ON links (ref, release_id, seq) WHERE ref <> '';
CREATE INDEX links_url ON links (url, release_id, seq) WHERE url <> '';
CREATE INDEX links_deployed ON links (env, service, ok_s DESC, ok_ns DESC, release_id DESC, seq DESC) WHERE kind = 'deployment' AND ok;
CREATE INDEX links_claims ON links (env, service, version, release_id, seq) WHERE kind = 'deployment' AND ok;
