"""The use cases: what the line does, with no Telegram in it.

Handlers (``helpline/handlers/``) parse an update, call one function here and send what
it returns; the case decides with the pure flows (``flows/``) and stores through the
repository (``storage/``), writing what must reach someone to the outbox. Nothing here
imports Telegram, so every case is tested without a bot.
"""
