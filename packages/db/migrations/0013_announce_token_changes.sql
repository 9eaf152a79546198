-- Announce changes to what a token check reads (revocation, expiry, role, owner, limits) and
-- deletions on `conveyor_tokens`, with the token's id: API processes that keep checked tokens
-- for a few seconds forget that one at once. The bucket and last-use columns, written on every
-- submission, are not listed, so submissions announce nothing.
CREATE FUNCTION conveyor.announce_token_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('conveyor_tokens', OLD.id::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER api_tokens_announce_change
AFTER UPDATE OF revoked_at, expires_at, role, owner_id, hash, submit_rate, submit_burst, max_subscriptions, max_unfinished_runs
ON conveyor.api_tokens FOR EACH ROW EXECUTE FUNCTION conveyor.announce_token_change();
--> statement-breakpoint
CREATE TRIGGER api_tokens_announce_delete
AFTER DELETE ON conveyor.api_tokens FOR EACH ROW EXECUTE FUNCTION conveyor.announce_token_change();
