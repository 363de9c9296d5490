-- 13: the check that a new release does not reuse a deleted release's id
-- or group occurrence runs after the insert, not before. Before the
-- insert, a Create racing the deletion of its id read the deletion log
-- before the deletion committed, then waited on the deleted row's key and
-- went in once it was gone: the id was live again. After the insert, the
-- key wait is over, the deletion has committed, and the trigger's query,
-- with a snapshot of its own, sees it.
DROP TRIGGER releases_not_deleted ON releases;
CREATE TRIGGER releases_not_deleted AFTER INSERT ON releases
	FOR EACH ROW EXECUTE FUNCTION releases_not_deleted();
