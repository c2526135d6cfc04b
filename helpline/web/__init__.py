"""The HTTP edge: a Starlette app served by uvicorn in the bot's own process and event loop.

It carries the coordinator's web page, the telephony webhooks (``helpline.web.telephony``)
and a health check; it starts with ``helpline run`` when HTTP_PORT is set and stops with it
(``helpline.web.server``). Nothing is imported here, so the package's light modules
(``helpline.web.texts``) do not load the server.
"""
