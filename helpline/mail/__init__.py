"""The email edge: the line's mailbox read over IMAP, mails sent over SMTP.

``reader`` turns new messages into requests through ``helpline.cases.email_intake``;
``sender`` delivers the email outbox. Both run on the active instance only, started in
``post_init`` and stopped with the bot (``service``).
"""
