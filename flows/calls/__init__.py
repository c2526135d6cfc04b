"""Follow-up calls, pure: when, how often, who is free, what to remind and when.

No Telegram and no database here; ``helpline/cases/reminders.py`` and the call handlers
apply these decisions to the rows. Diagram: ``flows/calls.mmd``.
"""
