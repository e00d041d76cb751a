-- Indexes for the superuser's lists and the audit log's filters
-- (handlers/admin.c, handlers/jobs.c, handlers/audit_logs.c). Every list is
-- newest first by (time, id), so each filter has an index in that order
-- and a page is an index range scan, however long the table grows.

CREATE INDEX tenants_created_at_idx ON public.tenants (created_at DESC, id DESC);
CREATE INDEX jobs_status_created_at_idx ON public.jobs (status, created_at DESC, id DESC);
CREATE INDEX audit_logs_actor_at_idx ON public.audit_logs (actor_id, at DESC, id DESC);
