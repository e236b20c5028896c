"""Delivery: users, the audit log, the mailer, and the reports delivered once per report and user."""
